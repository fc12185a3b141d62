"""Built-in storage backend `memory`: the embedded default, no database needed."""

from service.hookspecs import hookimpl
from service.storage import StorageBackend

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


__all__ = ["MemoryStore", "storage_backends"]
