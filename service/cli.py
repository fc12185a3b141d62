"""The `customer-context` command: `serve` runs the service, `migrate` brings the stored data
to this release's layout, `plugins` lists what is installed."""

from __future__ import annotations

import argparse
import difflib
import errno
import ipaddress
import logging
import re
import socket
import sys
from collections.abc import Sequence

from . import plugins, settings as settings_module
from .authentication import hash_token, new_staff_token
from .settings import ConfigurationError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="customer-context", description="Customer Context GraphQL service.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the service", description="Run the service. Flags override CUSTOMER_CONTEXT_* environment variables.")
    settings_module.add_arguments(serve)
    migrate = sub.add_parser(
        "migrate",
        help="bring the storage backend's data to this release's layout (indexes, derived fields)",
        description="Bring the storage backend's data to this release's layout: build its indexes, rewrite what an "
        "older release stored. Run it before starting a new release's processes, and once more after the last old "
        "one stopped. Safe to run again. Backends without a layout of their own have nothing to do.",
    )
    settings_module.add_arguments(migrate)
    listing = sub.add_parser("plugins", help="list installed plugins, storage backends and matching strategies")
    settings_module.add_arguments(listing)
    sub.add_parser("schema", help="print the GraphQL schema (SDL)")
    token = sub.add_parser(
        "token",
        help="make a staff token",
        description="Make a staff token: prints the token (give it to the person, it is shown once) and the line "
        "to add to the --tokens-file (which keeps only its hash).",
    )
    token.add_argument("--id", required=True, help="who the token is for, e.g. agent-7 (becomes createdBy on writes)")
    token.add_argument("--role", required=True, choices=["ADMIN", "AGENT", "READ_ONLY"], type=str.upper)
    parser.set_defaults(commands={"serve": serve, "migrate": migrate, "plugins": listing, "token": token})
    return parser


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """The arguments, or exit 2 with the command's own usage when one is not its own: the
    top parser would show its usage (no flags at all) for a misspelt `serve` flag."""
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        command = args.commands[args.command] if args.command in args.commands else parser
        command.error(_unknown_arguments(command, unknown))
    return args


def _unknown_arguments(command: argparse.ArgumentParser, unknown: list[str]) -> str:
    """'unrecognized arguments: --prot 8000 (--prot: did you mean --port?); ...', with
    difflib's nearest flag of the command for each misspelt one."""
    # The flags as its help lists them (argparse has no public list of a parser's options).
    flags = sorted(set(re.findall(r"--[\w-]+", command.format_help())))
    hints = []
    for argument in unknown:
        flag = argument.split("=", 1)[0]
        if flag.startswith("-") and (near := difflib.get_close_matches(flag, flags, n=1, cutoff=0.6)):
            hints.append(f"{flag}: did you mean {near[0]}?")
    hint = f" ({'; '.join(hints)})" if hints else ""
    return f"unrecognized arguments: {' '.join(unknown)}{hint}; {command.prog} --help lists them all"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _serve(settings) -> int:
    from . import http_limits, request_log
    from .app import create_app

    # Bound before anything starts: uvicorn binds after the application's startup, so a
    # busy port used to be reported below "ready" and a traceback-like shutdown.
    listener = _listen(settings.host, settings.port)
    if not settings.tokens_file:
        if settings.production:
            raise ConfigurationError(
                "production mode needs staff tokens: without --tokens-file every request would act as administrator. "
                "Give --tokens-file (see docs/security.md), or leave out --production for local development"
            )
        if not _is_loopback(settings.host):
            raise ConfigurationError(
                f"refusing to listen on {settings.host} without staff tokens: anyone who can reach it would be an "
                "administrator. Give --tokens-file (see docs/security.md) or listen on 127.0.0.1"
            )
        print(
            "customer-context: local development mode: no --tokens-file, so every request without a token acts as "
            "administrator 'local-developer'; listening on loopback only",
            file=sys.stderr,
        )
    # Unknown backend/strategy names fail here, before listening. The process is the server's.
    app = create_app(settings, freeze_after_startup=True)
    request_log.log_to_stderr_as_lines()
    print(
        f"Customer Context on http://{settings.host}:{listener.getsockname()[1]}/graphql "
        f"(backend {settings.backend}, matching {settings.matching})",
        file=sys.stderr,
        flush=True,
    )
    try:
        _run_on(
            listener,
            _quiet_startup_failure(app),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            # The service's own line per request (service/request_log.py) replaces uvicorn's
            # access line where lines are JSON: a collector would meet two shapes otherwise.
            access_log=not settings.logs_json,
            lifespan="on",
            # docs/performance.md, "Under saturation": under uvloop a saturated process
            # accepted no new connection (health probes included) for seconds.
            loop=settings.loop,
            # A WebSocket message (connection_init, subscribe) is held to the body limit too.
            ws_max_size=settings.max_body_bytes,
            # Timeouts for slow headers and bodies, a limit on the headers' size: uvicorn's
            # httptools protocol has none of them (service/http_limits.py).
            http=http_limits.protocol_class(settings),
        )
    except SystemExit:
        # uvicorn exits when startup fails; say why in one line if the store told us.
        if app.state.startup_error is not None:
            raise ConfigurationError(str(app.state.startup_error)) from None
        raise
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """The service's listening socket, bound now; a port in use (or a host that is not this
    machine's) is a ConfigurationError: one line naming the flag to change."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not left 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on
    # sockets whose proto says TCP, and with it on, an answer written in two sends waits for
    # the client's delayed ACK: 40 ms a request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    # As uvicorn does: a restart may bind while the old process's connections linger in TIME_WAIT.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigurationError(
                f"port {port} on {host} is already in use by another process: stop that process, or choose "
                f"another port with --port (e.g. --port {port + 1 if 0 < port < 65535 else 8001})"
            ) from None
        raise ConfigurationError(
            f"cannot listen on {host} port {port}: {exc.strerror or exc}; check --host and --port"
        ) from None
    return sock


def _run_on(listener: socket.socket, app, **options) -> None:
    """uvicorn.run(app, **options) on a socket already bound (uvicorn.run cannot take one)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, **options))
    server.run(sockets=[listener])
    if not server.started:
        # What uvicorn.run does when startup failed without raising.
        sys.exit(3)


def _quiet_startup_failure(app):
    """The app, except that a store's startup failure (app.state.startup_error, which _serve
    reports in one line) is not also logged by uvicorn as the traceback Starlette puts in
    its `lifespan.startup.failed` message. Bugs at startup keep their traceback."""

    async def asgi(scope, receive, send):
        if scope["type"] != "lifespan":
            return await app(scope, receive, send)

        async def send_quietly(message):
            if message["type"] == "lifespan.startup.failed" and app.state.startup_error is not None:
                message = {**message, "message": ""}
            await send(message)

        return await app(scope, receive, send_quietly)

    return asgi


def _migrate(settings) -> int:
    import asyncio

    pm = plugins.plugin_manager()
    store = plugins.build_store(plugins.choose_storage(pm, settings), settings)
    if not callable(getattr(store, "migrate", None)):
        print(f"customer-context: backend {settings.backend} has no layout to migrate", file=sys.stderr)
        return 0

    async def run() -> None:
        try:
            report = await store.migrate(progress=lambda line: print(f"migrate: {line}", file=sys.stderr, flush=True))
        finally:
            await store.close()
        print(f"migrated: {report}")

    from .storage import StoreUnavailable

    try:
        asyncio.run(run())
    except StoreUnavailable as exc:
        raise ConfigurationError(str(exc)) from None
    return 0


def _list_plugins(settings) -> int:
    pm = plugins.plugin_manager()
    print("plugins:")
    for name, plugin in pm.list_name_plugin():
        print(f"  {name}: {getattr(plugin, '__name__', plugin)}")
    print("storage backends (--backend):")
    for name, spec in sorted(plugins.storage_backends(pm, settings).items()):
        print(f"  {name}: {spec.description}")
    print("matching strategies (--matching):")
    for name, spec in sorted(plugins.matching_strategies(pm, settings).items()):
        print(f"  {name}: {spec.description}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    if args.command == "token":
        if not args.id or any(ch.isspace() for ch in args.id):
            print("customer-context: --id must be one word", file=sys.stderr)
            return 2
        secret = new_staff_token()
        print(f"token (give it to {args.id}; it is not stored anywhere):\n  {secret}")
        print(f"line for the tokens file:\n  {args.id} {args.role} {hash_token(secret)}")
        return 0
    if args.command == "schema":
        from .schema import sdl

        sys.stdout.write(sdl())
        return 0
    try:
        settings = settings_module.load(args)
        logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        if args.command == "plugins":
            return _list_plugins(settings)
        if args.command == "migrate":
            return _migrate(settings)
        return _serve(settings)
    except ConfigurationError as exc:
        print(f"customer-context: cannot start: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
