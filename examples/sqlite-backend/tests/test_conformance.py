"""The service's storage conformance suite, run against this backend: all the test code a
backend needs. `pytest tests` (with this package and the service installed)."""

import pytest

from customer_context_sqlite import SQLiteStore
from service.conformance import StorageConformance


class TestSQLiteStore(StorageConformance):
    # Nothing is declared missing: the "persistence" tests run too, through reopen_factory.

    @pytest.fixture
    def store_factory(self, tmp_path):
        # Each call: a new, empty store in a file of its own. The suite opens and closes it.
        files = iter(range(1_000_000))
        return lambda: SQLiteStore(path=tmp_path / f"store-{next(files)}.sqlite3")

    @pytest.fixture
    def reopen_factory(self):
        # A new store over the same file as the one the suite closed.
        return lambda old: SQLiteStore(path=old.path)
