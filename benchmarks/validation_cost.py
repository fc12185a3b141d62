"""What validating a GraphQL document costs graphql-core on this machine, for the worst
documents of several families, before and after the overlap budget (service/schema/budget.py).

For each family of documents (the same field repeated, repeated fields with sub-selections,
fragments, inline fragments, arguments that differ, fan-out within the depth limit) it builds
the largest member within the token limit (what any client could send before the budget) and
the largest member the overlap budget lets through (what can reach graphql-core's validation
now), and prints the CPU time (thread time, best of --repeat) of graphql-core's validation with
the service's rules, the document's overlap cost, what parsing it and measuring that cost
took (the price of refusing it: parsing is paid by every document, the measure is what the
budget adds). No timing is asserted anywhere; tests/test_cpu_budget.py checks the refusals.

    .venv/bin/python benchmarks/validation_cost.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphql import GraphQLError, parse, specified_rules  # noqa: E402
from strawberry.schema.schema import validate_document  # noqa: E402

from service.schema import schema  # noqa: E402
from service.schema.budget import Over, overlap_cost  # noqa: E402
from service.schema.limits import limit_rules, limits_of_settings  # noqa: E402
from service.settings import Settings  # noqa: E402


def _frags(n: int, on: str, body: str, into: str = "{ %s }") -> str:
    spreads = " ".join(f"...F{i}" for i in range(n))
    return into % spreads + " " + " ".join(f"fragment F{i} on {on} {{ {body} }}" for i in range(n))


#: name -> n -> document. Each grows with n; the worst documents within the limits.
FAMILIES: dict[str, Callable[[int], str]] = {
    "same leaf field: { viewer { id id ... } }": lambda n: "{ viewer { " + "id " * n + "} }",
    "__typename repeated": lambda n: "{ " + "__typename " * n + "}",
    "same field with a selection: viewer { id } x n": lambda n: "{ " + "viewer { id } " * n + "}",
    "two levels: viewer { customer { id } x n } x n": lambda n: "{ " + ("viewer { " + "customer { id } " * n + "} ") * n + "}",
    "customer { emails { address x n } x 4n }": lambda n: '{ customer(id: "x") { ' + ("emails { " + "address " * n + "} ") * (4 * n) + "} }",
    "same field, different arguments": lambda n: "{ " + " ".join(f'node(id: "{i}") {{ id }}' for i in range(n)) + " }",
    "distinct fragments: ...F0 ...F1 ...": lambda n: _frags(n, "Viewer", "id", "{ viewer { %s } }"),
    "fragments with selections": lambda n: _frags(n, "Query", "viewer { id }"),
    "one fragment spread n times": lambda n: "{ viewer { " + "...A " * n + "} } fragment A on Viewer { id }",
    "inline fragments: ... on Viewer { id }": lambda n: "{ viewer { " + "... on Viewer { id } " * n + "} }",
    "fan-out within depth: edges { node { emails { address } x n } }": lambda n: (
        "{ customers(first: 100) { edges { node { " + "emails { address } " * n + "} } } }"
    ),
}


def _fits_tokens(document: str, tokens: int) -> bool:
    try:
        parse(document, max_tokens=tokens)
    except GraphQLError:
        return False
    return True


def _cost(document: str | Any, limit: int) -> int:
    try:
        return overlap_cost(parse(document) if isinstance(document, str) else document, limit)
    except Over as over:
        return over.so_far


def _largest(family: Callable[[int], str], fits: Callable[[str], bool]) -> int:
    """The largest n (binary search; families grow monotonically) whose document fits."""
    low, high = 0, 1
    while fits(family(high)) and high < 100_000:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(family(middle)) else (low, middle)
    return low


def _cpu(call: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.thread_time()
        call()
        best = min(best, time.thread_time() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = Settings()
    limits = limits_of_settings(settings)
    core = schema._schema
    rules = (*specified_rules, *limit_rules(limits, "en"))
    budget = settings.max_query_complexity

    def validation(document: str) -> float:
        parsed = parse(document)
        return _cpu(lambda: validate_document(core, parsed, rules), args.repeat)

    print(f"token limit {settings.max_query_tokens:,}, overlap budget {budget:,}; CPU ms of graphql-core's validation (best of {args.repeat})")
    print(
        f"{'family':62s} {'before: n':>9s} {'cost':>11s} {'ms':>8s} {'parse ms':>8s} {'measure ms':>10s} | "
        f"{'after: n':>8s} {'cost':>7s} {'ms':>6s}"
    )
    worst_before = worst_after = 0.0
    for name, family in FAMILIES.items():
        n_before = _largest(family, lambda d: _fits_tokens(d, settings.max_query_tokens))
        n_after = _largest(family, lambda d: _fits_tokens(d, settings.max_query_tokens) and _cost(d, budget) <= budget)
        before, after = family(n_before), family(n_after)
        ms_before, ms_after = validation(before) * 1000, validation(after) * 1000
        parsed = parse(before)
        parsing = _cpu(lambda: parse(before), args.repeat) * 1000
        refusal = _cpu(lambda: _cost(parsed, budget), args.repeat) * 1000
        worst_before, worst_after = max(worst_before, ms_before), max(worst_after, ms_after)
        print(
            f"{name:62s} {n_before:9d} {_cost(before, 10**15):11,d} {ms_before:8.1f} {parsing:8.1f} {refusal:10.2f} | "
            f"{n_after:8d} {_cost(after, budget):7,d} {ms_after:6.1f}"
        )
    print(f"worst validation: before {worst_before:.0f} ms, after {worst_after:.1f} ms (ratio {worst_before / max(worst_after, 1e-9):.0f})")


if __name__ == "__main__":
    main()
