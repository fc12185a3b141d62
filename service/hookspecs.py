"""The hooks a Customer Context plugin can implement (pluggy project `customer_context`).

A plugin is a module or object with functions marked `@hookimpl`, registered through the
`customer_context` entry-point group of its package. An implementation may accept any
subset of a hook's arguments, so hooks can gain arguments without breaking plugins.
Hooks that do work at startup, shutdown or on events may return an awaitable; the service
awaits it. The built-in memory store and exact matching strategy are plugins too.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("customer_context")
hookimpl = pluggy.HookimplMarker("customer_context")


# Discovery: called once while the service starts, before any request. -------------------


@hookspec
def storage_backends(settings):
    """Return a list of `service.storage.StorageBackend` this plugin provides.

    Every plugin's backends are collected; `settings.backend` picks one by name. Two
    plugins offering the same name stop startup.
    """


@hookspec
def matching_strategies(settings):
    """Return a list of `service.matching.MatchingStrategySpec` this plugin provides.

    Every plugin's strategies are collected; `settings.matching` picks one by name.
    """


@hookspec(firstresult=True)
def pubsub(settings, store):
    """Return a `service.pubsub.PubSub` that carries live events (subscriptions) between the
    service's processes for this `store`, or None to leave it to another plugin.

    Called once at startup, after the store is open; the first non-None result wins (the
    memory plugin's in-process one, which serves any single-process backend, is tried last).
    """


# Lifecycle. ------------------------------------------------------------------------------


@hookspec
def startup(runtime):
    """Called after the store is open and before the first request. May return an awaitable
    (open a connection, create indexes, start a webhook sender). An exception stops startup."""


@hookspec
def shutdown(runtime):
    """Called once when the service stops, before the store closes. May return an awaitable.
    Exceptions are logged and do not stop other plugins' shutdown."""


# Observation. ----------------------------------------------------------------------------


@hookspec
def domain_event(event, runtime):
    """Called after a change is stored, once per `service.events` event (customer created or
    updated, activity recorded or associated, open-list entry added or resolved). May
    return an awaitable. For webhooks and audit: exceptions are logged, never reach the
    client, and never undo the change."""
