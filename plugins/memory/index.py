"""Sorted keys with cursor paging: the memory store's one ordering structure."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K")


class SortedIndex(Generic[K]):
    """Keys kept in ascending order; unique keys (they end in the record id)."""

    def __init__(self) -> None:
        self._keys: list[K] = []

    @classmethod
    def from_sorted(cls, keys: list[K]) -> SortedIndex[K]:
        """An index over keys the caller has already sorted."""
        index = cls()
        index._keys = keys
        return index

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: K) -> None:
        insort(self._keys, key)

    def discard(self, key: K) -> None:
        i = bisect_left(self._keys, key)
        if i < len(self._keys) and self._keys[i] == key:
            del self._keys[i]

    def iter_from(self, key: K) -> Iterator[K]:
        """Keys greater than or equal to `key`, ascending."""
        keys = self._keys
        for i in range(bisect_left(keys, key), len(keys)):
            yield keys[i]

    def iter_after(self, after: K | None, *, descending: bool = False) -> Iterator[K]:
        """Keys strictly after `after` in the chosen direction (all keys when None)."""
        keys = self._keys
        if descending:
            stop = len(keys) if after is None else bisect_left(keys, after)
            for i in range(stop - 1, -1, -1):
                yield keys[i]
        else:
            start = 0 if after is None else bisect_right(keys, after)
            for i in range(start, len(keys)):
                yield keys[i]


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
