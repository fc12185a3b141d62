"""Built-in storage backend `memory`: the embedded default, no database needed."""

from service.hookspecs import hookimpl
from service.storage import StorageBackend

from .pubsub import InProcessPubSub
from .store import MemoryStore


@hookimpl
def storage_backends():
    return [
        StorageBackend(
            "memory",
            MemoryStore,
            "In-process store: no database needed; one process; data lives as long as it does.",
        )
    ]


@hookimpl(trylast=True)
def pubsub(settings):
    """Live events in this process: for the memory store, and for any single-process backend
    whose plugin offers no pub/sub of its own (hence tried last)."""
    return InProcessPubSub(settings.subscription_queue_size)


__all__ = ["InProcessPubSub", "MemoryStore", "pubsub", "storage_backends"]
