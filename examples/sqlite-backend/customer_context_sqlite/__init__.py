"""Storage backend `sqlite` for Customer Context: every record in one SQLite file.

An example of a partner's storage plugin. The service finds this module through the
entry point in pyproject.toml (group `customer_context`, name `sqlite`) and calls the
`storage_backends` hook below; `customer-context serve --backend sqlite` picks it.

Configuration: the service's `Settings` has no field for a SQLite file, and a plugin
cannot add one, so this plugin reads its own environment variable,
`CUSTOMER_CONTEXT_SQLITE_PATH` (default: `customer-context.sqlite3` in the working
directory). See `SQLiteStore`.
"""

from service.hookspecs import hookimpl
from service.storage import StorageBackend

from .store import DEFAULT_PATH, PATH_VARIABLE, SQLiteStore


@hookimpl
def storage_backends(settings):
    # Called while the app is built and by `customer-context plugins`: only describe the
    # backend here. The factory runs once at startup; `open()` then opens the file.
    return [
        StorageBackend(
            "sqlite",
            SQLiteStore,  # SQLiteStore(settings) -> a Storage, not yet opened
            f"Everything in one local SQLite file (env {PATH_VARIABLE}, default {DEFAULT_PATH}).",
        )
    ]


__all__ = ["DEFAULT_PATH", "PATH_VARIABLE", "SQLiteStore", "storage_backends"]
