"""Global ids: opaque to clients, they name the record type so `node(id:)` can find any
record. The format (base64url of "Type:id") is not a contract; clients treat ids as opaque."""

from __future__ import annotations

import base64
import binascii

TYPES = ("Customer", "Activity", "OpenListEntry", "Contact")


def to_global_id(type_name: str, raw_id: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{raw_id}".encode()).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, str] | None:
    """(type name, record id), or None for anything this service did not give out."""
    if not global_id or len(global_id) > 200:
        return None
    try:
        text = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, sep, raw_id = text.partition(":")
    if not sep or type_name not in TYPES or not raw_id:
        return None
    return type_name, raw_id


def raw_id_of(global_id: str, type_name: str) -> str | None:
    """The record id if `global_id` names a record of `type_name`, else None."""
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != type_name:
        return None
    return decoded[1]


def cursor_out(storage_cursor: str) -> str:
    return base64.urlsafe_b64encode(storage_cursor.encode()).decode().rstrip("=")


def cursor_in(cursor: str | None) -> str | None:
    """The store's cursor inside an opaque one; an undecodable cursor passes through as
    itself so the store rejects it as InvalidCursor."""
    if cursor is None:
        return None
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return "\x00invalid"
