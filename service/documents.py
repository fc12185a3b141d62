"""Records as plain documents and back: what a journal line, a MongoDB document or a
partner's row holds. One codec for every backend, so they all store the same shape.

A document is a dict of str, int, float, bool, None, datetime, lists and dicts. `to_json`
and `from_json` add the step to JSON (datetimes as ISO 8601 strings) for text stores.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import types
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

from .domain import records

#: Record types by the collection/table name backends store them under.
RECORD_TYPES: dict[str, type] = {
    "customers": records.Customer,
    "contacts": records.Contact,
    "activities": records.Activity,
    "open_list_entries": records.OpenListEntry,
}


Dump = Callable[[Any], Any]
Load = Callable[[Any], Any]


@functools.cache
def _dumpers(cls: type) -> tuple[tuple[str, Dump | None], ...]:
    """(field name, how to dump a value that is not None; None: as it is) per field, worked
    out once per class from its type hints: every write is dumped, and compaction dumps
    every live record."""
    hints = typing.get_type_hints(cls)
    return tuple((f.name, _dumper(hints[f.name])) for f in dataclasses.fields(cls))


@functools.cache
def _loaders(cls: type) -> tuple[tuple[str, Load | None], ...]:
    """(field name, how to load a value that is not None; None: as it is) per field: a
    journal replay or a collection read loads hundreds of thousands of records."""
    hints = typing.get_type_hints(cls)
    return tuple((f.name, _loader(hints[f.name])) for f in dataclasses.fields(cls))


def _optional(hint: Any) -> Any:
    """X for `X | None` (the first non-None option), else the hint itself."""
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        return next(a for a in typing.get_args(hint) if a is not type(None))
    return hint


def _dumper(hint: Any) -> Dump | None:
    hint = _optional(hint)
    if typing.get_origin(hint) is tuple:
        item = _dumper(typing.get_args(hint)[0])
        if item is None:
            return list
        return lambda values: [None if v is None else item(v) for v in values]
    if isinstance(hint, type):
        if dataclasses.is_dataclass(hint):
            return to_document
        if issubclass(hint, enum.Enum):
            return _enum_value
    return None


def _loader(hint: Any) -> Load | None:
    hint = _optional(hint)
    if typing.get_origin(hint) is tuple:
        item = _loader(typing.get_args(hint)[0])
        if item is None:
            return tuple
        return lambda values: tuple(None if v is None else item(v) for v in values)
    if isinstance(hint, type):
        if dataclasses.is_dataclass(hint):
            return functools.partial(from_document, hint)
        if issubclass(hint, enum.Enum):
            return hint
        if hint is datetime:
            return _datetime
        if hint is bool or hint is float:
            return hint
    return None


def _enum_value(value: enum.Enum) -> Any:
    return value.value


def _datetime(value: Any) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def to_document(record: Any) -> dict[str, Any]:
    """A record (any dataclass of `service.domain.records`) as a document."""
    doc = {}
    for name, dump in _dumpers(type(record)):
        value = getattr(record, name)
        doc[name] = value if value is None or dump is None else dump(value)
    return doc


def from_document(cls: type, doc: dict[str, Any]) -> Any:
    """The record of type `cls` a document holds. Unknown keys are ignored, so a backend may
    keep its own fields (indexes, shard keys) beside the record's; missing ones take the
    record's defaults."""
    values = {}
    for name, load in _loaders(cls):
        if name in doc:
            value = doc[name]
            values[name] = value if value is None or load is None else load(value)
    return cls(**values)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def to_json_bytes(doc: dict[str, Any]) -> bytes:
    """`to_json` as UTF-8 bytes, by orjson (several times faster: journals and snapshots
    write every record this way). What orjson refuses (a lone surrogate, an int beyond 64
    bits) is written by the json module, lone surrogates passed through as json.loads of
    bytes reads them back."""
    try:
        return orjson.dumps(doc, default=_json_default)  # its datetimes are isoformat()'s, to the character
    except TypeError:
        return to_json(doc).encode("utf-8", "surrogatepass")


def to_json(doc: dict[str, Any]) -> str:
    """One line of JSON (no newlines inside), datetimes as ISO 8601."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def from_json(line: str | bytes) -> dict[str, Any]:
    """Parsed by orjson; what it refuses but JSON allows (a lone surrogate's escape or bytes)
    by the json module, which also raises ValueError for what is no JSON at all."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)
