"""The JSON a request may carry (a POST body, GET's `variables` and `extensions`): RFC 8259
in UTF-8 and no more, nested at most `MAX_DEPTH` deep, with numbers a client has a reason to
send. Anything else is refused with a `front_door.Refusal` (400 BAD_REQUEST) that names the
part of the request and the limit, never a 500.

orjson reads the common request. What it refuses is read once more by the standard library,
which accepts two things JSON allows and orjson does not: the escape of a lone surrogate
(`"\\ud800"`: refused later, on the field that holds it, by the domain's validation) and
integers beyond 64 bits (refused by GraphQL's `Int`). The standard library also accepts what
JSON does not (`NaN`, `Infinity`) and fails on what would otherwise be a 500 (invalid UTF-8,
nesting deeper than Python's recursion limit, integers of more than 4,300 digits): its hooks
refuse those here.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

from .front_door import BAD_REQUEST, Refusal

#: Deepest nesting of arrays and objects. The deepest input of the schema (a customer's
#: emails inside the input inside `variables` inside the body) is under 10 levels; deeper
#: values only cost work further down (GraphQL's coercion recurses once per level).
MAX_DEPTH = 32

#: Longest number, in characters. GraphQL's Int is 32 bits and Float 64; converting a long
#: integer costs time quadratic in its digits, so no longer ones are converted at all.
MAX_NUMBER_CHARS = 100


def loads(data: bytes | str, field: str) -> Any:
    """`data` as JSON; `field` names the part of the request it came from in a refusal
    (`body`, `variables`, `extensions`)."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        value = _loads_strictly(data, field)
    if _deeper_than(value, MAX_DEPTH):
        raise Refusal(400, BAD_REQUEST, "json_too_deep", field=field, limit=MAX_DEPTH)
    return value


def _loads_strictly(data: bytes | str, field: str) -> Any:
    if isinstance(data, (bytes, bytearray, memoryview)):
        try:
            # Decoded here, not by json.loads, which would also take UTF-16 and UTF-32.
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Refusal(400, BAD_REQUEST, "json_not_utf8", field=field, position=exc.start) from None
    else:
        text = data

    def refuse_number(number: str) -> Any:
        shown = number if len(number) <= 20 else number[:20] + "…"
        raise Refusal(400, BAD_REQUEST, "json_number", field=field, number=shown, limit=MAX_NUMBER_CHARS)

    def integer(number: str) -> int:
        return int(number) if len(number) <= MAX_NUMBER_CHARS else refuse_number(number)

    def real(number: str) -> float:
        value = float(number) if len(number) <= MAX_NUMBER_CHARS else refuse_number(number)
        return value if math.isfinite(value) else refuse_number(number)

    try:
        return json.loads(text, parse_int=integer, parse_float=real, parse_constant=refuse_number)
    except json.JSONDecodeError as exc:
        raise Refusal(400, BAD_REQUEST, "json_malformed", field=field, line=exc.lineno, column=exc.colno) from None
    except RecursionError:
        raise Refusal(400, BAD_REQUEST, "json_too_deep", field=field, limit=MAX_DEPTH) from None


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest deeper than `limit`. Walks containers only, without
    recursion (a value may be nested 1,000 deep); an empty container below the limit is not
    visited, so a wide body of `[]`s costs one pass over its items."""
    kind = type(value)
    if kind is not dict and kind is not list:
        return False
    stack = [(value, 1)]
    while stack:
        container, depth = stack.pop()
        items = container.values() if type(container) is dict else container
        if depth == limit:
            if any(type(item) is dict or type(item) is list for item in items):
                return True
            continue
        for item in items:
            if (type(item) is dict or type(item) is list) and item:
                stack.append((item, depth + 1))
    return False
