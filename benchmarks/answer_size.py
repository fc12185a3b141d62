"""What producing a large answer costs the event loop, against the result-size estimate that
bounds it (`--max-result-size`, service/schema/budget.py).

Seeds the memory store, through the API, with customers whose lists are full (50 emails, 50
phones, 100 attributes each), then asks for pages of them with more and more of their lists,
in-process on one event loop (the ASGI app called directly, no network), and prints for
each: the estimate the budget computes, the values the answer really holds, the request's
time, and the longest the loop went without a turn for anything else (a ticker task
measures it). No timing is asserted anywhere.

    .venv/bin/python benchmarks/answer_size.py [--customers 100] [--path plan|generic|no-fastpath]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphql import OperationDefinitionNode, parse  # noqa: E402

from service.app import create_app  # noqa: E402
from service.schema import schema  # noqa: E402
from service.schema.budget import Over, result_size  # noqa: E402
from service.settings import Settings  # noqa: E402

CREATE = "mutation Seed($i: CustomerInput!) { createCustomer(input: $i) { __typename } }"
NODE_FIELDS = [
    "id displayName",
    "id displayName emails { address label normalized }",
    "id displayName emails { address label normalized } phones { number e164 label }",
    "id displayName emails { address label normalized } phones { number e164 label } attributes { key value }",
]


async def call(app: Any, body: dict[str, Any]) -> bytes:
    """One POST /graphql straight to the ASGI app."""
    payload = json.dumps(body).encode()
    scope = {
        "type": "http", "http_version": "1.1", "method": "POST", "path": "/graphql", "raw_path": b"/graphql",
        "query_string": b"", "root_path": "", "scheme": "http", "server": ("bench", 80), "client": ("127.0.0.1", 1),
        "headers": [(b"host", b"bench"), (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
    }  # fmt: skip
    chunks: list[bytes] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": payload, "more_body": False}
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}  # pragma: no cover

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return b"".join(chunks)


def values(data: Any) -> int:
    if isinstance(data, dict):
        return sum(1 + values(v) for v in data.values())
    if isinstance(data, list):
        return sum(values(v) for v in data)
    return 0


async def measure(app: Any, query: str) -> tuple[float, float, bytes]:
    """(request seconds, longest loop hold seconds, body)."""
    gaps: list[float] = []
    done = False

    async def ticker() -> None:
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    started = time.perf_counter()
    body = await call(app, {"query": query})
    elapsed = time.perf_counter() - started
    done = True
    await task
    return elapsed, max(gaps, default=elapsed), body


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument(
        "--path", choices=("plan", "generic", "no-fastpath"), default="plan",
        help="plan: the fast path's compiled plan; generic: graphql-core's executor, which the fast path "
        "leaves a document with a directive to; no-fastpath: Strawberry's path",
    )  # fmt: skip
    args = parser.parse_args()
    # Past the default limit too.
    settings = Settings(max_result_size=10**9, fastpath=args.path != "no-fastpath")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        for i in range(args.customers):
            customer = {
                "lastName": f"Customer {i}",
                "emails": [{"address": f"c{i}.e{j}@example.eu", "label": "work"} for j in range(50)],
                "phones": [{"number": f"+420601{i:03d}{j:03d}", "label": "mobile"} for j in range(50)],
                "attributes": [{"key": f"key{j}", "value": "value"} for j in range(100)],
            }
            answer = json.loads(await call(app, {"query": CREATE, "variables": {"i": customer}}))
            assert answer["data"]["createCustomer"]["__typename"] == "CreateCustomerSuccess", answer
        default = Settings().max_result_size
        print(f"{args.customers} customers, each with 50 emails, 50 phones, 100 attributes; default --max-result-size {default:,}")
        print(f"{'node fields':100s} {'estimate':>9s} {'values':>7s} {'ms':>7s} {'hold ms':>8s} {'us/value':>8s}")
        print(f"path: {args.path}")
        for fields in NODE_FIELDS:
            shown = fields.replace("displayName", "displayName @include(if: true)") if args.path == "generic" else fields
            query = f"{{ customers(first: {args.customers}) {{ edges {{ node {{ {shown} }} }} }} }}"
            document = parse(query)
            operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
            try:
                estimate = result_size(schema._schema, document, operation, page=(20, 100), limit=10**12)
            except Over as over:  # pragma: no cover - the limit is far away
                estimate = over.so_far
            await measure(app, query)  # the document is cached and its plan compiled from here on
            elapsed, hold, body = min([await measure(app, query) for _ in range(3)], key=lambda r: r[1])
            count = values(json.loads(body)["data"])
            print(
                f"{fields:100s} {estimate:9,d} {count:7,d} {elapsed * 1000:7.1f} {hold * 1000:8.1f} "
                f"{elapsed * 1e6 / max(count, 1):8.1f}"
            )


if __name__ == "__main__":
    asyncio.run(main())
