"""Sorted keys with cursor paging: the memory store's one ordering structure.

Backed by `sortedcontainers.SortedList`: inserts and removals in O(log n) instead of a
plain list's O(n) shifting, which made loading a million customers quadratic."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from sortedcontainers import SortedList

K = TypeVar("K")


class SortedIndex(Generic[K]):
    """Keys kept in ascending order; unique keys (they end in the record id)."""

    def __init__(self, keys: list[K] | None = None) -> None:
        self._keys: SortedList = SortedList(keys or ())

    @classmethod
    def from_sorted(cls, keys: list[K]) -> SortedIndex[K]:
        """An index over the given keys (sorted or not)."""
        return cls(keys)

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: K) -> None:
        self._keys.add(key)

    def discard(self, key: K) -> None:
        self._keys.discard(key)

    def iter_from(self, key: K) -> Iterator[K]:
        """Keys greater than or equal to `key`, ascending."""
        return self._keys.irange(minimum=key)

    def iter_after(self, after: K | None, *, descending: bool = False) -> Iterator[K]:
        """Keys strictly after `after` in the chosen direction (all keys when None)."""
        if descending:
            return self._keys.irange(maximum=after, inclusive=(True, False), reverse=True)
        return self._keys.irange(minimum=after, inclusive=(False, True))


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
