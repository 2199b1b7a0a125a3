"""JSON encoding and decoding on the webhook path, with orjson where it can.

orjson (in C) encodes and decodes several times faster than the standard
library, and the webhook path does both for every event: the batch document for
PostgreSQL, the function's answer, each socket's "events" frame
(docs/PERFORMANCE.md, 'What we learned'). It refuses some values the standard
library takes: integers beyond 64 bits and strings holding lone surrogates,
both of which a stranger's notification may carry; those values are encoded by
the standard library instead, so any JSON the standard library writes is
still written. Its output is compact and keeps non-ASCII characters as UTF-8:
the same JSON values, not the same bytes.
"""

import json

import orjson


def dumps(value) -> str:
    """`value` as JSON text."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # beyond 64-bit integers, lone surrogates, types orjson does not know
        return json.dumps(value)


def loads(text: str | bytes):
    """The value of JSON text that this process or PostgreSQL wrote (not a stranger's)."""
    return orjson.loads(text)
