"""Built-in storage backend `mongo`: MongoDB (a replica set or a sharded cluster) through
PyMongo's asyncio client, for running many stateless service processes on one data set.

Select it with `--backend mongo`; `--mongodb-url`, `--mongodb-database` and
`--mongodb-timeout-ms` say where and how long to wait; `customer-context migrate` brings a
database to this release's layout (migrations.py). docs/operations.md describes the
collections, indexes, shard keys (sharding.py) and migrations. Live events (subscriptions) travel between processes
through a change stream on the `events` collection (pubsub.py), which needs a replica set.
"""

from service.hookspecs import hookimpl
from service.storage import StorageBackend

from .pubsub import COLLECTION, ChangeStreamPubSub
from .store import MongoStore


@hookimpl
def storage_backends():
    return [
        StorageBackend(
            "mongo",
            MongoStore,
            "MongoDB (--mongodb-url): shared by any number of service processes; `customer-context migrate` builds its indexes.",
        )
    ]


@hookimpl
def pubsub(settings, store):
    """Live events through a change stream on the store's own database."""
    if isinstance(store, MongoStore):
        return ChangeStreamPubSub(store.database[COLLECTION], settings)
    return None


__all__ = ["ChangeStreamPubSub", "MongoStore", "pubsub", "storage_backends"]
