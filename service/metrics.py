"""The service's Prometheus metrics: what they are and how each is recorded.

prometheus-client keeps the values: in this process, or, when `PROMETHEUS_MULTIPROC_DIR`
names a directory at start-up, in files there that every process of the deployment writes
and a scrape of any one of them adds up (its multiprocess mode; `scrape` below).
docs/operations.md, "Metrics", lists every metric with its labels. Serving them over HTTP
is service/metrics_endpoint.py's job.

Recording is kept cheap for the screen pop: label children are looked up once and cached in
plain dicts (prometheus-client's `labels()` takes a lock and builds a tuple every call), and
operation names, which clients choose, are bounded (`operation_label`) so that no client
can grow the scrape without end.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import re
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from .hookspecs import hookimpl

log = logging.getLogger("customer_context.metrics")

PREFIX = "customer_context_"

#: Seconds: a screen pop answers in about a millisecond; a slow search or store in seconds.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: Seconds: one store call, or one fsync of the journal.
STORE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)

#: Most distinct operation names one process reports; later new names count as "(other)".
MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

REQUESTS = Counter(
    PREFIX + "requests_total",
    "GraphQL HTTP requests, by operation name, operation type and outcome",
    ["operation", "type", "outcome"],
)
REQUEST_SECONDS = Histogram(
    PREFIX + "request_duration_seconds",
    "Time from a GraphQL HTTP request's arrival to the end of its answer, by operation name and type",
    ["operation", "type"],
    buckets=LATENCY_BUCKETS,
)
ERRORS = Counter(
    PREFIX + "errors_total",
    "Errors answered, by code: request errors (top-level `errors`, refusals such as OVERLOADED) and payload errors",
    ["code"],
)
FALLBACKS = Counter(
    PREFIX + "fastpath_fallbacks_total",
    "Operations the fast path left to another executor, by reason (service/fastpath)",
    ["reason"],
)
STORE_SECONDS = Histogram(
    PREFIX + "store_call_duration_seconds",
    "Time of one call to the storage backend, by method",
    ["method"],
    buckets=STORE_BUCKETS,
)
STORE_ERRORS = Counter(PREFIX + "store_call_errors_total", "Store calls that raised, by method", ["method"])
LIVE_SUBSCRIPTIONS = Gauge(
    PREFIX + "live_subscriptions",
    "Live event subscriptions (GraphQL subscriptions) open now",
    multiprocess_mode="livesum",
)
JOURNAL_FSYNC_SECONDS = Histogram(
    PREFIX + "journal_fsync_duration_seconds",
    "Time of one fsync of the memory backend's journal (--data-file), which every write waits for",
    buckets=STORE_BUCKETS,
)
JOURNAL_COMPACTIONS = Counter(
    PREFIX + "journal_compactions_total", "Compactions of the memory backend's journal, by outcome (ok, failed)", ["outcome"]
)
JOURNAL_COMPACTION_SECONDS = Histogram(
    PREFIX + "journal_compaction_duration_seconds",
    "Time of one journal compaction, from its start to the journal cut back",
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0),
)
MATCHING_DECISIONS = Counter(
    PREFIX + "matching_decisions_total",
    "Recorded activities by channel and matching decision: automatic (associated), offered (candidates on the "
    "open list), none (no candidate)",
    ["channel", "decision"],
)
#: Computed at scrape time from the store (`scrape`), so it is right for every process.
OPEN_LIST = PREFIX + "open_list_entries"

_requests: dict[tuple[str, str, str], Any] = {}
_durations: dict[tuple[str, str], Any] = {}
_errors: dict[str, Any] = {}
_operation_names: set[str] = set()


def operation_label(name: str | None) -> str:
    """The `operation` label for a client's operation name: "(none)" for an anonymous
    operation or a request refused before one was read, "(other)" past
    MAX_OPERATION_NAMES names or for a name GraphQL would not accept."""
    if not name:
        return "(none)"
    if name in _operation_names:
        return name
    if len(_operation_names) >= MAX_OPERATION_NAMES or not _NAME.fullmatch(name):
        return "(other)"
    _operation_names.add(name)
    return name


def count_request(operation: str, operation_type: str, outcome: str, seconds: float, codes: list[str]) -> None:
    """One answered GraphQL HTTP request (service/observation.py calls it)."""
    key = (operation, operation_type, outcome)
    counter = _requests.get(key)
    if counter is None:
        counter = _requests[key] = REQUESTS.labels(*key)
    counter.inc()
    histogram = _durations.get(key[:2])
    if histogram is None:
        histogram = _durations[key[:2]] = REQUEST_SECONDS.labels(*key[:2])
    histogram.observe(seconds)
    for code in codes:
        count_error(code)


def count_error(code: str) -> None:
    child = _errors.get(code)
    if child is None:
        child = _errors[code] = ERRORS.labels(code)
    child.inc()


def count_fallback(reason: str) -> None:
    """The fast path left an operation to graphql-core or to Strawberry's path."""
    FALLBACKS.labels(reason).inc()


def subscription_opened() -> None:
    LIVE_SUBSCRIPTIONS.inc()


def subscription_closed() -> None:
    LIVE_SUBSCRIPTIONS.dec()


def journal_fsync(seconds: float) -> None:
    JOURNAL_FSYNC_SECONDS.observe(seconds)


def journal_compaction(outcome: str, seconds: float | None = None) -> None:
    JOURNAL_COMPACTIONS.labels(outcome).inc()
    if seconds is not None:
        JOURNAL_COMPACTION_SECONDS.observe(seconds)


# -- the store --------------------------------------------------------------------------


def time_store_calls(store: Any) -> Any:
    """Times every method of the Storage port on `store` (open and close aside), per method, by
    shadowing each with a timed one on the instance: the object stays what it is (its type,
    its other attributes), so nothing that holds or checks it notices."""
    from .storage import Storage

    for name, _ in inspect.getmembers(Storage, inspect.iscoroutinefunction):
        if name.startswith("_") or name in ("open", "close") or not inspect.iscoroutinefunction(getattr(store, name, None)):
            continue
        try:
            setattr(store, name, _timed(getattr(store, name), name))
        except AttributeError:  # __slots__, or a read-only property: left untimed
            log.debug("store method %s cannot be timed", name)
    return store


def _timed(method: Callable[..., Any], name: str) -> Callable[..., Any]:
    histogram = STORE_SECONDS.labels(name)
    errors = STORE_ERRORS.labels(name)

    @functools.wraps(method)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await method(*args, **kwargs)
        except Exception:
            errors.inc()
            raise
        finally:
            histogram.observe(time.perf_counter() - started)

    return timed


# -- domain events ------------------------------------------------------------------------


class MatchingDecisions:
    """Registered as a plugin by the app when metrics are on: counts each recorded
    activity's matching decision from the `ActivityRecorded` domain event."""

    @hookimpl
    def domain_event(self, event: Any) -> None:
        if type(event).__name__ != "ActivityRecorded":
            return
        if event.customer is not None:
            decision = "automatic"
        elif event.candidates:
            decision = "offered"
        else:
            decision = "none"
        MATCHING_DECISIONS.labels(event.activity.channel.value, decision).inc()


# -- scraping -----------------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    """The directory of multiprocess mode, when this process runs in it."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir") or None


class Everything:
    """Every metric as one collector: this process's own (and prometheus-client's process
    and Python collectors), or, in multiprocess mode, the sums over every process that
    wrote to the directory; and the open list's size, from `open_list()` (a callable, as a
    scrape served from another thread computes it on the event loop)."""

    def __init__(self, open_list: Callable[[], int | None]) -> None:
        self.open_list = open_list

    def collect(self) -> Any:
        from prometheus_client import REGISTRY

        if multiprocess_dir():
            yield from multiprocess.MultiProcessCollector(None).collect()
        else:
            yield from REGISTRY.collect()
        size = self.open_list()
        if size is not None:
            yield GaugeMetricFamily(OPEN_LIST, "Open-list entries waiting for an agent (all agents')", value=size)


async def count_open_list(store: Any) -> int | None:
    """The open list's size from the store's own count (an index's size on the memory
    backend, a counted index range on MongoDB); None when the store cannot tell."""
    try:
        page = await store.list_open_list_entries(agent_id=None, first=1, after=None)
    except Exception as exc:  # a scrape reports what it can; the store's health is /readyz's
        log.warning("metrics: the open list could not be counted: %s", exc)
        return None
    return page.total_count


def scrape(open_list: int | None) -> bytes:
    """The text exposition format of every metric, with the open list's size counted."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Everything(lambda: open_list))
    return generate_latest(registry)


def process_exited(pid: int | None = None) -> None:
    """Multiprocess mode: drops this process's live gauges from the sums (at shutdown)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid or os.getpid())
