"""The memory store's index structures: sorted keys with cursor paging, and sets of ids by
key stored compactly.

Memory matters here: a million customers bring about two million contacts and 1.4 million
activities, each indexed several times over (docs/performance.md, Growth)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Generic, TypeVar

from sortedcontainers import SortedList

K = TypeVar("K")

#: A SortedIndex keeps its keys in a plain sorted list up to this many (an insert shifts at
#: most this many pointers), and in a SortedList beyond: a SortedList costs some 500 bytes
#: even for one key, and most indexes (one customer's activities) hold a handful.
SMALL_INDEX = 512


class SortedIndex(Generic[K]):
    """Keys kept in ascending order; unique keys (they end in the record id).

    Small indexes are a plain sorted list; past `SMALL_INDEX` keys a
    `sortedcontainers.SortedList`: inserts and removals in O(log n) instead of a plain
    list's O(n) shifting, which made loading a million customers quadratic."""

    __slots__ = ("_keys",)

    def __init__(self, keys: Iterable[K] | None = None) -> None:
        keys = sorted(keys or ())
        self._keys: list | SortedList = keys if len(keys) <= SMALL_INDEX else SortedList(keys)

    @classmethod
    def from_sorted(cls, keys: list[K]) -> SortedIndex[K]:
        """An index over the given keys (sorted or not), taking over the list itself (it
        is sorted in place)."""
        keys.sort()
        index = cls.__new__(cls)
        index._keys = keys if len(keys) <= SMALL_INDEX else SortedList(keys)
        return index

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: K) -> None:
        keys = self._keys
        if type(keys) is list:
            if len(keys) < SMALL_INDEX:
                insort(keys, key)
                return
            self._keys = keys = SortedList(keys)
        keys.add(key)

    def discard(self, key: K) -> None:
        keys = self._keys
        if type(keys) is list:
            i = bisect_left(keys, key)
            if i < len(keys) and keys[i] == key:
                del keys[i]
        else:
            keys.discard(key)

    def iter_from(self, key: K) -> Iterator[K]:
        """Keys greater than or equal to `key`, ascending."""
        keys = self._keys
        if type(keys) is list:
            return map(keys.__getitem__, range(bisect_left(keys, key), len(keys)))
        return keys.irange(minimum=key)

    def iter_after(self, after: K | None, *, descending: bool = False) -> Iterator[K]:
        """Keys strictly after `after` in the chosen direction (all keys when None)."""
        keys = self._keys
        if type(keys) is list:
            if descending:
                end = len(keys) if after is None else bisect_left(keys, after)
                return map(keys.__getitem__, range(end - 1, -1, -1))
            start = 0 if after is None else bisect_right(keys, after)
            return map(keys.__getitem__, range(start, len(keys)))
        if descending:
            return keys.irange(maximum=after, inclusive=(True, False), reverse=True)
        return keys.irange(minimum=after, inclusive=(False, True))


class IdSets:
    """A set of record ids per key (a search term, a phone number, a customer), stored
    compactly: a key with one id holds the id itself (a str), one with more a set. Most
    keys of the store's indexes have one id: a set for each cost some 200 bytes more."""

    __slots__ = ("_ids",)

    def __init__(self) -> None:
        self._ids: dict[Hashable, str | set[str]] = {}

    def __len__(self) -> int:
        """The number of keys."""
        return len(self._ids)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._ids

    def add(self, key: Hashable, record_id: str) -> bool:
        """Add `record_id` under `key`; True when `key` had no ids before."""
        ids = self._ids
        held = ids.get(key)
        if held is None:
            ids[key] = record_id
            return True
        if type(held) is str:
            if held != record_id:
                ids[key] = {held, record_id}
        else:
            held.add(record_id)
        return False

    def discard(self, key: Hashable, record_id: str) -> bool:
        """Remove `record_id` from `key`'s ids; True when that left `key` without ids (the
        key is then gone)."""
        ids = self._ids
        held = ids.get(key)
        if held is None:
            return False
        if type(held) is str:
            if held != record_id:
                return False
            del ids[key]
            return True
        held.discard(record_id)
        if len(held) == 1:
            ids[key] = next(iter(held))
        return False

    def get(self, key: Hashable) -> set[str]:
        """`key`'s ids as a new set (empty when it has none)."""
        held = self._ids.get(key)
        if held is None:
            return set()
        return {held} if type(held) is str else set(held)

    def iter(self, key: Hashable) -> Iterable[str]:
        """`key`'s ids, not to be kept: the index's own set when it has several."""
        held = self._ids.get(key)
        if held is None:
            return ()
        return (held,) if type(held) is str else held

    def held(self, key: Hashable) -> str | set[str] | None:
        """What `key` holds: its one id, the index's own set of its ids (not to be modified),
        or None."""
        return self._ids.get(key)

    def update(self, out: set[str], key: Hashable) -> None:
        """Add `key`'s ids to `out`."""
        held = self._ids.get(key)
        if held is None:
            return
        if type(held) is str:
            out.add(held)
        else:
            out |= held


def take(keys: Iterator[K], first: int, keep: Callable[[K], bool] | None = None) -> tuple[list[K], bool]:
    """Up to `first` keys (those `keep` accepts), and whether more follow."""
    out: list[K] = []
    for key in keys:
        if keep is not None and not keep(key):
            continue
        if len(out) == first:
            return out, True
        out.append(key)
    return out, False
