"""The CLI's cursor and state file, and what it does with the token."""

import json

import pytest
from connector_site_cli import main
from connector_site_cli.state import Cursor, StateFile
from connector_site_cli.stream import origin_of, stream_url


def test_the_state_file_round_trips_the_cursor(tmp_path):
    state = StateFile(tmp_path / "deep" / "state.json")
    cursor = Cursor(41, {"7": 3})
    cursor.advance({"7": 5, "9": 1})

    state.save(cursor)

    loaded = state.load()
    assert (loaded.origin, loaded.seqs) == (41, {"7": 5, "9": 1})
    assert [p.name for p in (tmp_path / "deep").iterdir()] == ["state.json"]  # no temporary left


def test_a_failed_write_leaves_the_previous_cursor(tmp_path, monkeypatch):
    state = StateFile(tmp_path / "state.json")
    state.save(Cursor(1, {"7": 1}))

    def broken_dump(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(json, "dump", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        state.save(Cursor(1, {"7": 2}))

    monkeypatch.undo()
    assert state.load().seqs == {"7": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_cursor_covers_only_what_it_has_in_every_conversation():
    cursor = Cursor(0, {"7": 5, "9": 1})

    assert cursor.covers({"7": 5})
    assert not cursor.covers({"7": 6})
    assert not cursor.covers({"7": 5, "9": 2})
    assert not cursor.covers({"11": 1})
    assert not cursor.covers({})


def test_the_stream_address_follows_the_site_scheme():
    assert stream_url("https://connector.example.com/") == "wss://connector.example.com/ws/forward/"
    assert stream_url("http://localhost:8000") == "ws://localhost:8000/ws/forward/"
    assert origin_of("https://connector.example.com/x") == "https://connector.example.com"
    with pytest.raises(ValueError, match="--site"):
        stream_url("connector.example.com")


def test_it_wants_a_token_and_names_the_variable_not_a_value(monkeypatch, capsys):
    monkeypatch.delenv(main.TOKEN_VARIABLE, raising=False)

    with pytest.raises(SystemExit) as exited:
        main.main(["tail", "--site", "http://localhost:8000"])

    assert "CONNECTOR_SITE_TOKEN" in str(exited.value)


def test_since_is_sent_as_a_delivery_or_a_time_with_its_offset(tmp_path):
    args = main.parser().parse_args(["tail", "--since", "2026-01-31T09:00:00+01:00"])
    assert main.Session(args, remember_by_default=False).subscribe_message()["since"] == (
        "2026-01-31T09:00:00+01:00"
    )
    args = main.parser().parse_args(["tail", "--since", "1234"])
    assert main.Session(args, remember_by_default=False).subscribe_message()["since_delivery"] == 1234
