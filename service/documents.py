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
from datetime import datetime
from typing import Any

from .domain import records

#: Record types by the collection/table name backends store them under.
RECORD_TYPES: dict[str, type] = {
    "customers": records.Customer,
    "contacts": records.Contact,
    "activities": records.Activity,
    "open_list_entries": records.OpenListEntry,
}


@functools.cache
def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


@functools.cache
def _loaders(cls: type) -> tuple[tuple[str, Any], ...]:
    """(field name, type hint) per field, worked out once per class: replaying a journal
    or a collection loads hundreds of thousands of records."""
    hints = typing.get_type_hints(cls)
    return tuple((name, hints[name]) for name in _names(cls))


def to_document(record: Any) -> dict[str, Any]:
    """A record (any dataclass of `service.domain.records`) as a document."""
    return {name: _dump(getattr(record, name)) for name in _names(type(record))}


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return to_document(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    return value


def from_document(cls: type, doc: dict[str, Any]) -> Any:
    """The record of type `cls` a document holds. Unknown keys are ignored, so a backend may
    keep its own fields (indexes, shard keys) beside the record's."""
    values = {}
    for name, hint in _loaders(cls):
        if name in doc:
            values[name] = _load(hint, doc[name])
    return cls(**values)


def _load(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _load(options[0], value)
    if origin is tuple:
        (item, *_) = typing.get_args(hint)
        return tuple(_load(item, v) for v in value)
    if isinstance(hint, type):
        if dataclasses.is_dataclass(hint):
            return from_document(hint, value)
        if issubclass(hint, enum.Enum):
            return hint(value)
        if hint is datetime:
            return datetime.fromisoformat(value) if isinstance(value, str) else value
        if hint is bool:
            return bool(value)
        if hint is float:
            return float(value)
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def to_json(doc: dict[str, Any]) -> str:
    """One line of JSON (no newlines inside), datetimes as ISO 8601."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def from_json(line: str | bytes) -> dict[str, Any]:
    return json.loads(line)
