"""Loading plugins and choosing the storage backend and matching strategy by name."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable
from typing import Any

import pluggy

from . import hookspecs
from .matching import MatchingStrategy, MatchingStrategySpec
from .settings import ConfigurationError, Settings
from .storage import Storage, StorageBackend

ENTRY_POINT_GROUP = "customer_context"
log = logging.getLogger(__name__)


def plugin_manager(extra_plugins: Iterable[Any] = (), *, entry_points: bool = True) -> pluggy.PluginManager:
    """A manager with every installed plugin (entry-point group `customer_context`) and
    `extra_plugins` (tests and embedding applications pass objects or modules here).

    Misspelled hooks fail here (`check_pending`), not silently at run time."""
    pm = pluggy.PluginManager("customer_context")
    pm.add_hookspecs(hookspecs)
    if entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in extra_plugins:
        pm.register(plugin)
    pm.check_pending()
    return pm


def _collect(results: Iterable[list], what: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for specs in results:
        for spec in specs or ():
            if spec.name in found:
                raise ConfigurationError(f"two plugins offer a {what} named {spec.name!r}")
            found[spec.name] = spec
    return found


def storage_backends(pm: pluggy.PluginManager, settings: Settings) -> dict[str, StorageBackend]:
    return _collect(pm.hook.storage_backends(settings=settings), "storage backend")


def matching_strategies(pm: pluggy.PluginManager, settings: Settings) -> dict[str, MatchingStrategySpec]:
    return _collect(pm.hook.matching_strategies(settings=settings), "matching strategy")


def _pick(known: dict[str, Any], name: str, what: str, flag: str) -> Any:
    if name not in known:
        names = ", ".join(sorted(known)) or "none (is the package installed?)"
        raise ConfigurationError(f"unknown {what} {name!r} ({flag}); known: {names}")
    return known[name]


def choose_storage(pm: pluggy.PluginManager, settings: Settings) -> StorageBackend:
    """The backend `settings.backend` names; ConfigurationError listing the known names."""
    return _pick(storage_backends(pm, settings), settings.backend, "storage backend", "--backend")


def choose_matching(pm: pluggy.PluginManager, settings: Settings) -> MatchingStrategySpec:
    """The strategy `settings.matching` names; ConfigurationError listing the known names."""
    return _pick(matching_strategies(pm, settings), settings.matching, "matching strategy", "--matching")


def build_store(backend: StorageBackend, settings: Settings) -> Storage:
    store = backend.factory(settings)
    if not isinstance(store, Storage):
        raise ConfigurationError(f"storage backend {backend.name!r} does not implement service.storage.Storage")
    return store


def build_matcher(spec: MatchingStrategySpec, settings: Settings) -> MatchingStrategy:
    matcher = spec.factory(settings)
    if not isinstance(matcher, MatchingStrategy):
        raise ConfigurationError(f"matching strategy {spec.name!r} does not implement service.matching.MatchingStrategy")
    return matcher


async def call_startup(pm: pluggy.PluginManager, runtime: Any) -> None:
    """Run every `startup` implementation; a failure stops the service from starting."""
    for result in pm.hook.startup(runtime=runtime):
        if inspect.isawaitable(result):
            await result


async def call_each_safely(hook: Any, what: str, **kwargs: Any) -> None:
    """Call every implementation of `hook` in turn; one plugin's failure is logged and does
    not keep the others from running (shutdown, event observers)."""
    for impl in reversed(hook.get_hookimpls()):  # pluggy's own order: last registered first
        try:
            result = impl.function(*[kwargs[name] for name in impl.argnames])
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("plugin %s failed in %s", impl.plugin_name, what)
