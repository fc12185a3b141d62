"""What subscribing costs the event loop: N authenticated sockets each subscribe K times
(issue 14 measured 300 x 20 stalling the loop 11 s), against the real server started as
README says, with a tokens file. Meanwhile a thread probes /healthz; the longest probe is
how long the loop was held. Then activities are recorded until every subscription has had
an event (the protocol does not say when a subscription has started).

    .venv/bin/python benchmarks/websocket_subscribe.py [--sockets 300] [--subscriptions 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.authentication import hash_token  # noqa: E402
from tests.server import start_server  # noqa: E402

TOKEN = "ccs_admin-benchmark-0123456789"
SCREEN_POP = """
subscription ScreenPop($agentId: ID) {
  activityRecorded(agentId: $agentId) {
    outcome
    activity { id agentId channel subject text sender { name email phone } }
    customer { id displayName }
    openListEntry { id status displayName prefill { firstName lastName email phone } activity { id text } }
    candidates { score customer { id } }
  }
}
"""
RECORD = 'mutation { recordActivity(input: {channel: CALL, agentId: "agent-1", sender: {name: "Eva"}}) { __typename } }'


def _probe(base: str, stop: threading.Event, probes: list[tuple[float, float]]) -> None:
    """(when it was sent, how long it took) of each /healthz probe."""
    while not stop.is_set():
        t = time.perf_counter()
        with urllib.request.urlopen(base + "/healthz", timeout=120) as response:
            response.read()
        probes.append((t, time.perf_counter() - t))
        time.sleep(0.01)


def _worst(probes: list[tuple[float, float]], start: float, end: float) -> str:
    """The longest probe that was waiting at some time between `start` and `end`, in ms."""
    during = [took for sent, took in probes if sent < end and sent + took > start]
    return f"{max(during, default=0.0) * 1000:.0f} ms"


async def _socket(url: str, subscriptions: int, subscribed: asyncio.Barrier, received: list[int]) -> None:
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"], max_size=None, open_timeout=120, ping_interval=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {TOKEN}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        for n in range(subscriptions):
            await ws.send(json.dumps({"id": str(n), "type": "subscribe", "payload": {"query": SCREEN_POP}}))
        await subscribed.wait()
        waiting = {str(n) for n in range(subscriptions)}
        while waiting:  # each subscription's first event (one may have started after an event)
            message = json.loads(await ws.recv())
            assert message["type"] == "next", message
            if message["id"] in waiting:
                waiting.remove(message["id"])
                received[0] += 1


async def _run(base: str, sockets: int, subscriptions: int) -> None:
    url = base.replace("http://", "ws://") + "/graphql"
    stop, probes = threading.Event(), []
    prober = threading.Thread(target=_probe, args=(base, stop, probes), daemon=True)
    prober.start()
    subscribed = asyncio.Barrier(sockets + 1)
    received = [0]
    t = time.perf_counter()
    tasks = [asyncio.create_task(_socket(url, subscriptions, subscribed, received)) for _ in range(sockets)]
    waiting = asyncio.create_task(subscribed.wait())
    await asyncio.wait([waiting, *tasks], return_when=asyncio.FIRST_COMPLETED)
    if not waiting.done():  # a socket failed: say why instead of waiting for ever
        await next(task for task in tasks if task.done())
    sent = time.perf_counter()
    # Subscriptions start in their own tasks after the message is read, a few per pass of the
    # event loop (service/turns.py), and the protocol does not say when one has: record events
    # until every subscription has had one.
    request = urllib.request.Request(
        base + "/graphql",
        data=json.dumps({"query": RECORD}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )
    events = 0
    while not all(task.done() for task in tasks):
        await asyncio.to_thread(lambda: urllib.request.urlopen(request, timeout=120).read())
        events += 1
        await asyncio.wait(tasks, timeout=2)
    await asyncio.gather(*tasks)
    delivered = time.perf_counter()
    stop.set()
    prober.join()
    print(f"{sockets} sockets x {subscriptions} subscriptions ({sockets * subscriptions}):")
    print(f"  connecting and sending every subscribe: {sent - t:.2f} s; longest /healthz meanwhile {_worst(probes, t, sent)}")
    print(
        f"  until every subscription had an event ({received[0]}; {events} event(s) recorded): {delivered - sent:.2f} s; "
        f"longest /healthz meanwhile {_worst(probes, sent, delivered)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=300)
    parser.add_argument("--subscriptions", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tokens = Path(tmp) / "tokens"
        tokens.write_text(f"admin ADMIN {hash_token(TOKEN)}\n")
        server = start_server(
            "--tokens-file", str(tokens), "--log-level", "warning",
            "--max-websocket-connections", str(args.sockets + 10),
            "--max-websocket-connections-per-actor", str(args.sockets + 10),
            # One client opening them all at once: their connection_init may all be pending.
            "--max-pending-websockets", str(args.sockets + 10),
            "--max-pending-websockets-per-client", str(args.sockets + 10),
            "--max-subscriptions-per-connection", str(args.subscriptions),
            log=Path(tmp) / "server.log",
        )
        try:
            asyncio.run(_run(server.base, args.sockets, args.subscriptions))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
