"""JSON for document trees, which a build writes and reads many times (pandoc's input and
output, the cache's entries, the keys made from them): orjson, some five times faster than
the standard library, and the standard library for a tree nested deeper than orjson goes."""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumpb(value: Any) -> bytes:
    """`value` as compact JSON, UTF-8 encoded (what the cache keeps); the same value always
    gives the same bytes."""
    try:
        return orjson.dumps(value)
    except TypeError:  # nested deeper than orjson's 254 levels (limits: nesting allows it)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def dumps(value: Any) -> str:
    """`value` as compact JSON text (pandoc's input, and keys)."""
    return dumpb(value).decode("utf-8")


def loads(text: str | bytes) -> Any:
    """Parsed JSON; past orjson's depth the standard library tries (and raises RecursionError
    when the nesting is too deep for it too)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
