"""Service settings: defaults, overridden by `CUSTOMER_CONTEXT_*` environment variables,
overridden by command-line flags. Each field's help text is what `serve --help` shows."""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields, replace

import phonenumbers

ENV_PREFIX = "CUSTOMER_CONTEXT_"


class ConfigurationError(Exception):
    """A setting is wrong; the message says which and what would be right."""


_ORIGIN = re.compile(r"https?://[^/\s:]+(:\d{1,5})?")


def _setting(default, help: str):
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    host: str = _setting("127.0.0.1", "interface to listen on")
    port: int = _setting(8000, "TCP port to listen on")
    backend: str = _setting("memory", "storage backend, by the name a plugin registered")
    matching: str = _setting("exact", "customer matching strategy, by the name a plugin registered")
    default_region: str = _setting(
        "CZ", "ISO 3166 country whose national phone formats are understood (e.g. CZ, SK, DE, NO, RS)"
    )
    phone_regions: str = _setting(
        "",
        "further ISO 3166 countries, comma-separated (e.g. DE,AT), in whose national formats an activity's caller ID "
        "is read when it is not a number of --default-region (a caller ID none of them reads is kept as sent, unparsed)",
    )
    data_file: str = _setting(
        "", "memory backend: journal file that makes the embedded store durable (empty: data lives as long as the process)"
    )
    mongodb_url: str = _setting("mongodb://localhost:27017", "mongo backend: connection string")
    mongodb_database: str = _setting("customer_context", "mongo backend: database name")
    mongodb_timeout_ms: int = _setting(5000, "mongo backend: how long to wait for the server before giving up (ms)")
    mongodb_commit_quorum: str = _setting(
        "",
        "mongo backend, `migrate`: the members that must finish an index build before it counts (createIndexes' "
        "commitQuorum): votingMembers, majority, a number or a replica set tag; empty: the server's default (votingMembers)",
    )
    mongodb_index_build_timeout_seconds: float = _setting(
        3600.0, "mongo backend, `migrate`: how long one collection's index builds may take before migrate stops (s)"
    )
    match_threshold_call: float = _setting(0.9, "score a calling customer's best candidate needs for automatic association")
    match_threshold_chat: float = _setting(0.9, "score a chatting customer's best candidate needs for automatic association")
    match_threshold_email: float = _setting(0.9, "score an emailing customer's best candidate needs for automatic association")
    match_margin: float = _setting(0.1, "how far the best candidate must lead the next for automatic association")
    duplicate_threshold: float = _setting(0.8, "score from which an existing customer counts as a likely duplicate of a new one")
    duplicate_policy: str = _setting("warn", "likely duplicates on customer creation: warn (report them) or block (refuse unless confirmed)")
    max_page_size: int = _setting(100, "largest `first` a list accepts")
    default_page_size: int = _setting(20, "`first` when a client leaves it out")
    graphiql: bool = _setting(True, "serve GraphiQL at /graphql to browsers")
    log_level: str = _setting("info", "debug, info, warning or error")
    log_format: str = _setting(
        "auto",
        "the per-request log line: json (one JSON object a line, for log collectors), text (readable) or auto "
        "(json in production mode, else text)",
    )
    metrics: bool = _setting(
        True, "count requests, errors, store calls and more for Prometheus at /metrics (docs/operations.md, Metrics)"
    )
    metrics_port: int = _setting(
        0,
        "serve /metrics on this port of --host without a token (a private network's scraper); 0: on the service's own "
        "port, for a staff token of role ADMIN or READ_ONLY",
    )
    otel: bool = _setting(
        False,
        "OpenTelemetry traces: a span per operation, resolver and store call, joined to the caller's traceparent "
        "(needs customer-context[otel]; the exporter follows the standard OTEL_* environment variables)",
    )
    production: bool = _setting(
        False,
        "production mode: no GraphiQL, no introspection, strict limits (turns GraphiQL and introspection off "
        "whatever --graphiql and --introspection say)",
    )
    introspection: bool = _setting(
        True, "answer GraphQL introspection (__schema, __type), which GraphiQL needs (never in production mode)"
    )
    max_query_depth: int = _setting(12, "deepest nesting of fields an operation may have, counted through fragments")
    max_aliases: int = _setting(30, "most aliases (`name: field`) one operation may use")
    max_query_tokens: int = _setting(2000, "most lexical tokens (names, punctuation, values, comments) a GraphQL document may have")
    max_query_complexity: int = _setting(
        60_000,
        "most work checking a new document may take: pairs of fields sharing a response name, weighted by their sizes "
        "(QUERY_TOO_COMPLEX; docs/security.md, CPU budget)",
    )
    max_result_size: int = _setting(
        200_000,
        "most values an operation's answer may hold, each list counted at the most it can hold and a connection at its "
        "`first` (QUERY_TOO_COSTLY)",
    )
    max_batch_size: int = _setting(10, "most operations in one batched request (a JSON array of operations)")
    max_body_bytes: int = _setting(1_000_000, "largest request body in bytes; larger ones are refused with 413")
    header_timeout_seconds: float = _setting(
        10.0,
        "how long a connection may take to send a request's line and headers (from opening, or from the previous "
        "answer) before it is closed, with 408 REQUEST_TIMEOUT when part of a request arrived",
    )
    body_timeout_seconds: float = _setting(
        30.0, "how long a request body may take to arrive once its headers have; then 408 REQUEST_TIMEOUT and the connection is closed"
    )
    max_header_bytes: int = _setting(
        65536, "largest request line and headers in bytes; larger ones are refused with 431 HEADERS_TOO_LARGE"
    )
    request_timeout_seconds: float = _setting(30.0, "how long one request may run before it is answered with a TIMEOUT error")
    max_in_flight_requests: int = _setting(
        8,
        "most GraphQL HTTP requests one process runs at once; more wait up to --admission-wait-seconds for a slot, "
        "then are refused with 503 OVERLOADED and Retry-After (health probes and GraphiQL never are); 0: no limit",
    )
    admission_wait_seconds: float = _setting(
        0.25, "how long a GraphQL request beyond --max-in-flight-requests may wait for a slot before the 503; 0: none"
    )
    loop: str = _setting(
        "asyncio",
        "event loop of the server: asyncio (the standard library's: keeps accepting connections and answering health "
        "probes under saturation) or uvloop",
    )
    fastpath: bool = _setting(
        True,
        "answer GraphQL requests from cached, validated documents and compiled execution plans (docs/performance.md); "
        "--no-fastpath runs Strawberry's generic path for every request",
    )
    tokens_file: str = _setting("", "file of staff tokens (hashes and roles); empty: local development mode")
    allowed_origins: str = _setting(
        "",
        "web origins (scheme://host[:port], comma-separated, or *) whose pages may call the API from a browser: "
        "CORS on HTTP, the Origin check on WebSockets; empty: pages of the service's own origin only",
    )
    customer_accounts: bool = _setting(
        True, "let customer accounts (contacts' own logins) sign in; --no-customer-accounts refuses them"
    )
    max_websocket_connections: int = _setting(
        1000, "most WebSocket connections (subscriptions) one process keeps open; more are closed with 1013 Try Again Later"
    )
    max_subscriptions_per_connection: int = _setting(
        20, "most subscriptions one WebSocket connection may run at once; more are refused with TOO_MANY_SUBSCRIPTIONS"
    )
    subscription_queue_size: int = _setting(
        100, "events a subscriber may fall behind before its subscription ends with SUBSCRIBER_TOO_SLOW"
    )
    connection_init_timeout_seconds: float = _setting(
        3.0, "how long a new WebSocket may take to send connection_init before it is closed (4408)"
    )
    max_pending_websockets: int = _setting(
        100,
        "most WebSockets one process keeps open before their connection_init is acknowledged (tokenless, counted apart "
        "from --max-websocket-connections); more are closed with 1013 Try Again Later",
    )
    max_pending_websockets_per_client: int = _setting(
        10, "most WebSockets one client address may have open before their connection_init is acknowledged; more: 1013"
    )
    max_websocket_connections_per_actor: int = _setting(
        50, "most acknowledged WebSocket connections one actor (a token, an account) may hold in one process; more: 1013"
    )
    websocket_messages_per_second: float = _setting(
        10.0, "messages one WebSocket may send per second, on average; a socket that sends faster is closed with 4429"
    )
    websocket_message_burst: int = _setting(
        60, "messages one WebSocket may send at once before --websocket-messages-per-second applies (connecting and subscribing)"
    )
    publish_queue_size: int = _setting(
        10000, "live events waiting to be published (a slow pub/sub); past it the oldest are dropped and logged"
    )
    mongodb_events_ttl_seconds: int = _setting(
        3600, "mongo backend: how long published live events stay in the `events` collection (TTL index)"
    )

    def validate(self) -> Settings:
        if not 0 <= self.port <= 65535:
            raise ConfigurationError(f"port must be between 0 and 65535, not {self.port}")
        region = self.default_region.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ConfigurationError(
                f"default region {self.default_region!r} is not an ISO 3166 country code phonenumbers knows (e.g. CZ, DE)"
            )
        for other in self.caller_id_regions[1:]:
            if other not in phonenumbers.SUPPORTED_REGIONS:
                raise ConfigurationError(
                    f"phone regions: {other!r} is not an ISO 3166 country code phonenumbers knows (e.g. DE, AT)"
                )
        if not 1 <= self.default_page_size <= self.max_page_size:
            raise ConfigurationError("default page size must be between 1 and the max page size")
        for name in ("match_threshold_call", "match_threshold_chat", "match_threshold_email", "match_margin", "duplicate_threshold"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigurationError(f"{name.replace('_', ' ')} must be between 0 and 1, not {getattr(self, name)}")
        if self.duplicate_policy not in {"warn", "block"}:
            raise ConfigurationError(f"duplicate policy must be warn or block, not {self.duplicate_policy!r}")
        if self.mongodb_timeout_ms <= 0:
            raise ConfigurationError("mongodb timeout must be a positive number of milliseconds")
        if self.mongodb_commit_quorum and not re.fullmatch(r"\w[\w.-]*", self.mongodb_commit_quorum):
            raise ConfigurationError(
                f"mongodb commit quorum must be votingMembers, majority, a number of members or a replica set tag, "
                f"not {self.mongodb_commit_quorum!r}"
            )
        if self.log_level.lower() not in {"debug", "info", "warning", "error"}:
            raise ConfigurationError(f"log level must be debug, info, warning or error, not {self.log_level!r}")
        if self.log_format.lower() not in {"auto", "json", "text"}:
            raise ConfigurationError(f"log format must be auto, json or text, not {self.log_format!r}")
        if not 0 <= self.metrics_port <= 65535:
            raise ConfigurationError(f"metrics port must be between 0 and 65535 (0: the service's own port), not {self.metrics_port}")
        if self.metrics_port and self.metrics_port == self.port:
            raise ConfigurationError(f"metrics port must differ from --port ({self.port}); 0 serves /metrics on --port itself")
        for name, least in (
            ("max_query_depth", 1),
            ("max_aliases", 0),
            ("max_query_tokens", 1),
            ("max_query_complexity", 0),
            ("max_result_size", 1),
            ("max_batch_size", 1),
            ("max_body_bytes", 1),
            ("max_header_bytes", 1024),
            ("max_websocket_connections", 0),
            ("max_pending_websockets", 1),
            ("max_pending_websockets_per_client", 1),
            ("max_websocket_connections_per_actor", 1),
            ("websocket_message_burst", 1),
            ("max_subscriptions_per_connection", 1),
            ("subscription_queue_size", 1),
            ("publish_queue_size", 1),
            ("mongodb_events_ttl_seconds", 1),
        ):
            if getattr(self, name) < least:
                raise ConfigurationError(f"{name.replace('_', ' ')} must be at least {least}, not {getattr(self, name)}")
        if not (math.isfinite(self.websocket_messages_per_second) and self.websocket_messages_per_second > 0):
            raise ConfigurationError(
                f"websocket messages per second must be a positive number, not {self.websocket_messages_per_second}"
            )
        for name in (
            "request_timeout_seconds",
            "header_timeout_seconds",
            "body_timeout_seconds",
            "connection_init_timeout_seconds",
            "mongodb_index_build_timeout_seconds",
        ):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise ConfigurationError(f"{name.replace('_', ' ')} must be a positive number of seconds, not {getattr(self, name)}")
        if self.max_in_flight_requests < 0:
            raise ConfigurationError(
                f"max in flight requests must be at least 0 (0: no limit), not {self.max_in_flight_requests}"
            )
        if not (math.isfinite(self.admission_wait_seconds) and 0 <= self.admission_wait_seconds <= self.request_timeout_seconds):
            raise ConfigurationError(
                "admission wait seconds must be a number of seconds from 0 to the request timeout "
                f"({self.request_timeout_seconds}), not {self.admission_wait_seconds}"
            )
        if self.loop.lower() not in {"asyncio", "uvloop"}:
            raise ConfigurationError(f"loop must be asyncio or uvloop, not {self.loop!r}")
        for origin in self.origins:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ConfigurationError(
                    f"allowed origin {origin!r} is not an origin: scheme://host[:port] without a path, e.g. https://desk.example.com"
                )
        return replace(
            self, default_region=region, log_level=self.log_level.lower(), log_format=self.log_format.lower(), loop=self.loop.lower()
        )

    @property
    def caller_id_regions(self) -> tuple[str, ...]:
        """The regions a caller ID is read in, in order: the default region, then --phone-regions."""
        others = (r.strip().upper() for r in self.phone_regions.split(",") if r.strip())
        return tuple(dict.fromkeys((self.default_region.strip().upper(), *others)))

    @property
    def origins(self) -> tuple[str, ...]:
        """`allowed_origins` as a list, without a trailing slash ("https://desk.example.com")."""
        return tuple(o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip())

    @property
    def logs_json(self) -> bool:
        """Whether the per-request log line is JSON (`log_format`; auto: in production mode)."""
        return self.log_format == "json" or (self.log_format == "auto" and self.production)

    @property
    def serves_graphiql(self) -> bool:
        """GraphiQL is served when asked for and never in production mode."""
        return self.graphiql and not self.production

    @property
    def allows_introspection(self) -> bool:
        """Introspection is answered when asked for and never in production mode."""
        return self.introspection and not self.production

    def threshold_for(self, channel) -> float:
        """The automatic-association threshold of an activity's channel (CALL, CHAT, EMAIL)."""
        return getattr(self, f"match_threshold_{channel.value.lower()}")


def _convert(name: str, kind: type, raw: str):
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigurationError(f"{name} must be true or false, not {raw!r}")
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None
    if kind is float:
        try:
            return float(raw)
        except ValueError:
            raise ConfigurationError(f"{name} must be a number, not {raw!r}") from None
    return raw


_TYPES = {"str": str, "int": int, "bool": bool, "float": float}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per setting: --default-region for default_region, and so on."""
    for f in fields(Settings):
        flag = "--" + f.name.replace("_", "-")
        env = ENV_PREFIX + f.name.upper()
        kind = _TYPES[f.type] if isinstance(f.type, str) else f.type
        help_text = f"{f.metadata['help']} (env {env}; default {f.default!r})"
        if kind is bool:
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        else:
            parser.add_argument(flag, dest=f.name, default=None, help=help_text, metavar=f.name.upper())


def load(args: argparse.Namespace | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from defaults, then the environment, then parsed flags; validated."""
    environ = os.environ if environ is None else environ
    values = {}
    for f in fields(Settings):
        kind = _TYPES[f.type] if isinstance(f.type, str) else f.type
        env = ENV_PREFIX + f.name.upper()
        raw = getattr(args, f.name, None) if args is not None else None
        source = f"--{f.name.replace('_', '-')}"
        if raw is None and env in environ:
            raw, source = environ[env], env
        if raw is None:
            assert f.default is not MISSING
            continue
        values[f.name] = raw if isinstance(raw, bool) else _convert(source, kind, str(raw))
    return Settings(**values).validate()


def parse(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> Settings:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return load(parser.parse_args(list(argv)), environ)
