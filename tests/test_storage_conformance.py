"""The shipped conformance suite, run against the built-in memory store: the same few lines
a partner writes for their own backend."""

import pytest

from plugins.memory import MemoryStore
from service.conformance import StorageConformance


class TestMemoryStore(StorageConformance):
    missing_capabilities = {"persistence"}  # without --data-file, data lives as long as the process

    @pytest.fixture
    def store_factory(self):
        return MemoryStore
