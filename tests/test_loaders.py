"""RecordLoader (service/schema/context.py) answers as Strawberry's DataLoader does, whether
its load finishes at once (the memory store) or waits (a database): the same values,
batches, cache hits and errors."""

from __future__ import annotations

import asyncio

import pytest
from strawberry.dataloader import DataLoader

from service.schema.context import RecordLoader


def make_load(waits: bool, calls: list[list[str]]):
    async def load(keys: list[str]):
        calls.append(list(keys))
        if waits:
            await asyncio.sleep(0.001)
        if "boom" in keys:
            raise RuntimeError("store down")
        if "short" in keys:
            return [1]
        return [ValueError(f"no {k}") if k.startswith("missing") else k.upper() for k in keys]

    return load


async def scenario(loader_class, waits: bool):
    calls: list[list[str]] = []
    loader = loader_class(load_fn=make_load(waits, calls))
    outcomes = []

    async def outcome(awaitable):
        try:
            return await awaitable
        except Exception as exc:  # noqa: BLE001 - the outcome is what is compared
            return f"{type(exc).__name__}: {exc}"

    # One tick: one batch, a repeated key once.
    outcomes.append(await asyncio.gather(*(outcome(loader.load(k)) for k in ("a", "b", "a", "missing-c"))))
    # Cached: no new call.
    outcomes.append(await outcome(loader.load("b")))
    outcomes.append(await outcome(loader.load_many(["a", "d"])))
    # The load fails as a whole, or answers the wrong number of values.
    outcomes.append(await asyncio.gather(outcome(loader.load("boom")), outcome(loader.load("x"))))
    outcomes.append(await asyncio.gather(outcome(loader.load("short")), outcome(loader.load("y"))))
    # Without a cache every load goes to the store, still batched per tick.
    uncached = loader_class(load_fn=make_load(waits, calls), cache=False)
    outcomes.append(await asyncio.gather(*(outcome(uncached.load(k)) for k in ("p", "p", "q"))))
    return outcomes, calls


@pytest.mark.parametrize("waits", [False, True], ids=["finishes at once", "waits"])
def test_record_loader_answers_as_strawberry_s_dataloader(waits):
    ours = asyncio.run(scenario(RecordLoader, waits))
    theirs = asyncio.run(scenario(DataLoader, waits))
    assert ours == theirs
    outcomes, calls = ours
    assert outcomes[0] == ["A", "B", "A", "ValueError: no missing-c"]
    assert calls[0] == ["a", "b", "missing-c"] and calls[1] == ["d"]
    assert outcomes[3] == ["RuntimeError: store down"] * 2
    assert outcomes[5] == ["P", "P", "Q"] and calls[-1] == ["p", "p", "q"]


def test_a_load_that_finishes_at_once_gets_no_task_of_its_own():
    async def main():
        before = len(asyncio.all_tasks())
        seen = []

        async def load(keys):
            seen.append(len(asyncio.all_tasks()))
            return keys

        loader = RecordLoader(load_fn=load)
        assert await loader.load("k") == "k"
        return before, seen

    before, seen = asyncio.run(main())
    assert seen == [before]  # only main's own task while the batch loaded
