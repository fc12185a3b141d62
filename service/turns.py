"""Turns on the event loop for work that many tasks want at the same moment.

asyncio runs every task that is ready in one pass of the loop before it looks at the
network again. One event wakes every subscriber at once, and 300 clients subscribing 20
times each start 6,000 tasks at once: each does a millisecond or two of work (setting up
the subscription, resolving the event's fields), and the loop did not read a socket or
answer a health probe for 10 seconds and more (benchmarks/websocket_subscribe.py). A task
that takes a turn before such work goes on at once while the pass has turns left, and
otherwise waits for a later pass, so one pass does at most `PER_PASS` of them and the
network is served between passes.
"""

from __future__ import annotations

import asyncio
import weakref

#: Tasks let through per pass of the loop: a few milliseconds of work, then the network.
PER_PASS = 8

_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


async def take_turn() -> None:
    """Returns in this pass of the loop while it has turns left, else in a later one."""
    loop = asyncio.get_running_loop()
    turns = _turns.get(loop)
    if turns is None:  # one per loop: tests run apps on loops of their own
        turns = _turns[loop] = asyncio.Semaphore(PER_PASS)
    await turns.acquire()
    # Given back in the next pass: callbacks scheduled now run after the tasks ready now.
    loop.call_soon(turns.release)
