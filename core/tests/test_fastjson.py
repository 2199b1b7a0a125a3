"""core.fastjson: orjson's speed, the standard library's reach."""

import json

from core import fastjson


def test_it_writes_the_same_values_as_the_standard_library():
    value = {"text": "héllo \u2603", "nul": "a\x00b", "n": [1, 2.5, None, True], "nested": {"k": []}}

    assert json.loads(fastjson.dumps(value)) == value
    assert fastjson.loads(fastjson.dumps(value)) == value


def test_what_orjson_refuses_is_written_by_the_standard_library():
    # A stranger's notification may carry both; json.loads reads them.
    huge = {"n": 2**70}
    lone_surrogate = {"text": "\ud800"}

    assert json.loads(fastjson.dumps(huge)) == huge
    assert fastjson.dumps(lone_surrogate) == json.dumps(lone_surrogate)
