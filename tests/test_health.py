"""/healthz answers while the process lives; /readyz only while the store answers."""

from __future__ import annotations

import asyncio
import re

from starlette.testclient import TestClient

from plugins.memory import MemoryStore
from service import app as app_module
from service.app import create_app
from service.hookspecs import hookimpl
from service.settings import Settings
from service.storage import StorageBackend, StoreUnavailable


class FlakyStore(MemoryStore):
    mode = "up"

    async def ping(self):
        if FlakyStore.mode == "down":
            raise StoreUnavailable("connection refused")
        if FlakyStore.mode == "hang":
            await asyncio.sleep(3600)


class Flaky:
    @hookimpl
    def storage_backends(self):
        return [StorageBackend("flaky", FlakyStore)]


def test_health_and_readiness_on_the_memory_store():
    with TestClient(create_app()) as http:
        assert http.get("/healthz").status_code == 200
        ready = http.get("/readyz")
        assert ready.status_code == 200 and ready.json() == {"status": "ready", "store": "memory"}


def test_readiness_follows_the_store(monkeypatch):
    monkeypatch.setattr(app_module, "READY_TIMEOUT", 0.2)
    with TestClient(create_app(Settings(backend="flaky"), extra_plugins=[Flaky()])) as http:
        for mode, expected in [("up", 200), ("down", 503), ("hang", 503), ("up", 200)]:
            FlakyStore.mode = mode
            assert http.get("/readyz").status_code == expected, mode
            assert http.get("/healthz").status_code == 200


def test_graphiql_is_served_to_browsers_with_its_files_and_can_be_turned_off():
    with TestClient(create_app()) as http:
        page = http.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        # Everything the page loads comes from this service: GraphiQL works offline.
        assets = [a for a in re.findall(r"(?:src|href)=\"([^\"]+)\"", page.text) if not a.startswith("data:")]
        assert assets and not [a for a in assets if a.startswith("http")]
        for asset in assets:
            assert http.get(asset).status_code == 200, asset
        assert http.get("/", follow_redirects=False).headers["location"] == "/graphql"
    with TestClient(create_app(Settings(graphiql=False))) as http:
        assert http.get("/graphql", headers={"Accept": "text/html"}).status_code == 404


def test_the_server_moves_what_start_up_loaded_out_of_the_collectors_sight(monkeypatch):
    """The CLI's app freezes what is alive after start-up (gc.freeze), so full collections do
    not walk the store's records while requests wait; an app built for tests does not."""
    import gc

    from service import cli

    built = []

    def spy(settings, **kwargs):
        built.append(kwargs)
        raise SystemExit(0)  # stop before listening

    monkeypatch.setattr(app_module, "create_app", spy)
    try:
        cli.main(["serve", "--port", "0"])
    except SystemExit:
        pass
    assert built == [{"freeze_after_startup": True}]

    gc.unfreeze()
    try:
        with TestClient(create_app(Settings())):
            assert gc.get_freeze_count() == 0
        with TestClient(create_app(Settings(), freeze_after_startup=True)):
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
