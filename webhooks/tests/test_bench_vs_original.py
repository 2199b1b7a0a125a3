"""bin/bench-vs-original's own pieces: the SSE push client over a real socket, the
targets and table, and its refusal of a checkout that is not prepared.

The original app itself is not in this repository (nor built by it), so the
run against it is not part of the suite; bench/vs_original.py's docstring says
what a run needs.
"""

import asyncio
import json

import pytest

from bench import sse, vs_original


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


async def _serve_like_the_original(reader, writer):
    """The original's stream: a 2 kB comment, retry, a keep-alive `time` event, then each
    notification as `data: <json>`, in chunks that split lines."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
    writer.write(_chunk(b":" + b" " * 2048 + b"\n") + _chunk(b"retry: 3000\n"))
    writer.write(_chunk(b'event: time\ndata: "2026-12-03T12:00:00.000Z"\n\n'))
    for sequence in (1, 2):
        change = {"sequence": sequence, "event": {"type": "ContentEvent", "message": f"t={sequence * 1000}"}}
        line = b"data: " + json.dumps({"body": {"changes": [change]}}).encode() + b"\n\n"
        writer.write(_chunk(line[:10]) + _chunk(line[10:]))
    writer.write(b"0\r\n\r\n")
    await writer.drain()
    writer.close()


async def test_the_sse_client_records_each_pushed_change_with_its_send_time():
    server = await asyncio.start_server(_serve_like_the_original, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    state = sse._State(subscription=sse.SseSubscription(port, "/subscribe/notifications/c/app"))
    try:
        reader, writer = await sse._open(state.subscription, "connect.sid=x")
        await asyncio.wait_for(sse._follow(state, 0, reader), 5)
        writer.close()
    finally:
        server.close()

    assert [(seq, index, sent) for seq, index, _, sent in state.records] == [(1, 0, 1000), (2, 0, 2000)]
    assert state.sequences == {1, 2}
    assert state.drops == ["the server ended the stream"]


async def test_the_sse_client_refuses_a_stream_that_is_not_open():
    async def unauthorized(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 12\r\n\r\nUnauthorized")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(unauthorized, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(RuntimeError, match="401"):
            await sse._open(sse.SseSubscription(port, "/subscribe/notifications/c/app"), "")
    finally:
        server.close()


def _figures(**medians) -> dict:
    return {key: {"median": v, "min": v, "max": v, "n": 1} for key, v in medians.items()} | {
        "totals": {"lost": 0}
    }


def test_the_targets_compare_the_medians_of_both_sides():
    aggregated = {
        "original": {
            "max": _figures(accepted_per_s=4000, cpu_us_per_webhook=200),
            "100/s": _figures(push_p50_ms=1.5),
            "500/s": _figures(push_p50_ms=1.0),
            "1000/s": _figures(ack_p99_ms=10),
        },
        "connector_site": {
            "max": _figures(accepted_per_s=2600, cpu_us_per_webhook=500),
            "100/s": _figures(push_p50_ms=2.9),
            "500/s": _figures(push_p50_ms=2.5, push_p99_ms=9.0),
            "1000/s": _figures(ack_p99_ms=60),
        },
    }

    checks = [(c["measured"], c["pass"]) for c in vs_original.targets(aggregated, [100, 500, 1000])]

    assert checks == [
        ("0.65×", True),  # max, 2,600 of 4,000
        ("2.50×", False),  # CPU, 500 µs of 200
        ("1.93×", True),  # push p50 at 100/s
        ("2.50×", False),  # push p50 at 500/s
        ("9.00", True),  # push p99 at 500/s, ms
        ("60.0", False),  # ack p99 at 1,000/s, ms
    ]


def test_it_refuses_a_checkout_without_its_dependencies_and_writes_nothing_there(tmp_path, capsys):
    (tmp_path / "app.js").write_text("// the original's entry point\n")

    with pytest.raises(SystemExit):
        vs_original.parse_args(["--original", str(tmp_path)])

    assert "node_modules" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.js"]
