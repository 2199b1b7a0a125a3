"""core.keyset: cursors that round-trip exactly and refuse anything else."""

from datetime import UTC, datetime

import pytest

from core.keyset import InvalidCursorError, Keyset

NEWEST_FIRST = Keyset(("received_at", "id"))


def test_a_cursor_gives_back_its_key_to_the_microsecond():
    key = (datetime(2026, 12, 3, 11, 0, 0, 123456, tzinfo=UTC), 42)

    assert NEWEST_FIRST.decode(NEWEST_FIRST.encode(key)) == key


def test_a_cursor_is_url_safe():
    cursor = NEWEST_FIRST.encode((datetime(2026, 12, 3, tzinfo=UTC), 2**62))

    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")


def test_a_cursor_of_another_list_is_refused():
    cursor = Keyset(("seq",), descending=False).encode((3,))

    with pytest.raises(InvalidCursorError):
        NEWEST_FIRST.decode(cursor)


@pytest.mark.parametrize("value", [True, -1, 2**63, 1.5, None])
def test_an_id_must_be_a_database_integer(value):
    with pytest.raises(InvalidCursorError):
        Keyset(("id",)).decode(Keyset(("id",)).encode((value,)))
