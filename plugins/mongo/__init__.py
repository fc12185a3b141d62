"""Built-in storage backend `mongo`: MongoDB (a replica set or a sharded cluster) through
PyMongo's asyncio client, for running many stateless service processes on one data set.

Select it with `--backend mongo`; `--mongodb-url`, `--mongodb-database` and
`--mongodb-timeout-ms` say where and how long to wait. docs/operations.md describes the
collections, indexes and shard keys.
"""

from service.hookspecs import hookimpl
from service.storage import StorageBackend

from .store import MongoStore


@hookimpl
def storage_backends():
    return [
        StorageBackend(
            "mongo",
            MongoStore,
            "MongoDB (--mongodb-url): shared by any number of service processes; indexes created at startup.",
        )
    ]


__all__ = ["MongoStore", "storage_backends"]
