"""`connector-site` as a real process against a real daphne, forwarding to a local
HTTP server: signed and in order, nothing lost or doubled across a SIGKILL,
cut off when its token is revoked, `tail` and `replay`, no token in any log."""

import contextlib
import json
import socket
import threading
from pathlib import Path

import pytest
import requests

from accounts import access_tokens
from accounts.models import User
from apps_admin.models import Installation
from bench.forwarder_harness import Forwarder, LocalReceiver
from conftest import running_daphne
from webhooks import payloads
from webhooks.models import Delivery

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

OTHER_CONVERSATION = "5491c2f1-1c9e-4e39-a5d2-2c6b6e4b0002"
CUSTOM_HEADER = "x-api-key"


@pytest.fixture(scope="module")
def forward_daphne(django_db_setup, django_db_blocker):
    """A daphne whose open streams check their token twice a second."""
    with running_daphne(FORWARD_CHECK_SECONDS="0.5") as server:
        yield server


@pytest.fixture
def site(forward_daphne, transactional_db):
    installation = Installation(
        account_id=payloads.ACCOUNT, client_id=payloads.CLIENT_ID, name="Laptop app", enabled=True
    )
    installation.client_secret = payloads.SECRET
    installation.save()
    return forward_daphne


@pytest.fixture
def token(transactional_db):
    user = User.objects.create(username="90000001:dev", lp_account_id=payloads.ACCOUNT)
    return access_tokens.create(user, name="laptop", scope="forward")


@pytest.fixture
def receiver():
    local = LocalReceiver(secret=payloads.SECRET).start()
    yield local
    local.stop()


@pytest.fixture
def forwarders():
    started: list[Forwarder] = []
    yield started
    for forwarder in started:
        forwarder.stop()


def _send_webhook(site, sequence: int, conversation: str = payloads.CONVERSATION) -> None:
    body = payloads.encode(payloads.messaging(payloads.content(sequence, f"m{sequence}", conversation)))
    headers = {**payloads.headers_for(body), CUSTOM_HEADER: "k-123"}  # the app's own header
    answer = requests.post(f"{site.url}/notifications/event", data=body, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text


def _listen(forwarders, site, receiver, raw: str, state: Path, *extra: str) -> Forwarder:
    arguments = ["--site", site.url, "--forward-to", receiver.url, "--state-file", str(state), *extra]
    forwarder = Forwarder("listen", *arguments, token=raw)
    forwarders.append(forwarder)
    forwarder.wait_for_output("caught up")
    return forwarder


def _sequences(received) -> list[int]:
    return [json.loads(r.body)["body"]["changes"][0]["sequence"] for r in received]


def test_it_forwards_each_notification_signed_and_in_order(site, token, receiver, forwarders, tmp_path):
    _, raw = token
    forwarder = _listen(forwarders, site, receiver, raw, tmp_path / "state.json")

    for sequence in range(1, 6):
        _send_webhook(site, sequence)
    received = receiver.wait_for(5)

    stored = {d.pk: d for d in Delivery.objects.all()}
    assert _sequences(received) == [1, 2, 3, 4, 5]
    assert all(r.signature_valid for r in received)
    assert [r.body.decode() for r in received] == [stored[r.delivery].body for r in received]
    assert {r.headers["x-liveperson-account-id"] for r in received} == {payloads.ACCOUNT}
    assert {r.headers["x-liveperson-client-id"] for r in received} == {payloads.CLIENT_ID}
    assert {r.headers[CUSTOM_HEADER] for r in received} == {"k-123"}
    lines = forwarder.stdout[:5]
    assert all(
        "ms.MessagingEventNotification.ContentEvent" in line and payloads.CONVERSATION in line
        for line in lines
    )
    assert all("-> 200 OK" in line and line.endswith(" ms") for line in lines)


def test_a_killed_forwarder_loses_and_duplicates_nothing(site, token, receiver, forwarders, tmp_path):
    _, raw = token
    state = tmp_path / "state.json"
    forwarder = _listen(forwarders, site, receiver, raw, state)
    # The 4th POST is held unanswered while the forwarder is killed: it never knew
    # whether it arrived, so it must send it again after the restart.
    arrived_fourth, release = threading.Event(), threading.Event()

    def answer(received):
        if len(receiver.seen) == 4 and not release.is_set():
            arrived_fourth.set()
            release.wait(10)
            return None
        return 200

    receiver.answer = answer
    for sequence in range(1, 7):
        _send_webhook(site, sequence, payloads.CONVERSATION if sequence % 2 else OTHER_CONVERSATION)
    assert arrived_fourth.wait(10)
    forwarder.kill()
    release.set()
    for sequence in range(7, 13):  # while it is down
        _send_webhook(site, sequence, payloads.CONVERSATION if sequence % 2 else OTHER_CONVERSATION)

    _listen(forwarders, site, receiver, raw, state)
    for sequence in range(13, 16):
        _send_webhook(site, sequence)
    received = receiver.wait_for(15)

    assert sorted(r.delivery for r in received) == sorted(Delivery.objects.values_list("pk", flat=True))
    assert len({r.delivery for r in received}) == len(received) == 15
    by_conversation: dict[str, list[int]] = {}
    for r in received:
        change = json.loads(r.body)["body"]["changes"][0]
        by_conversation.setdefault(change["conversationId"], []).append(change["sequence"])
    assert all(seqs == sorted(seqs) for seqs in by_conversation.values())
    assert all(r.signature_valid for r in received)


def test_a_revoked_token_stops_the_forwarder(site, token, receiver, forwarders, tmp_path):
    record, raw = token
    forwarder = _listen(forwarders, site, receiver, raw, tmp_path / "state.json")

    access_tokens.revoke(record.user, record.pk)

    assert forwarder.process.wait(timeout=10) == 2
    assert any("refused the token" in line for line in forwarder.stderr)
    _send_webhook(site, 1)
    assert receiver.accepted == []


def test_a_refused_token_is_said_so_and_never_shown(site, receiver, forwarders, tmp_path):
    raw = "cst_" + "n" * 40
    forwarder = Forwarder("listen", "--site", site.url, "--forward-to", receiver.url, token=raw)
    forwarders.append(forwarder)

    assert forwarder.process.wait(timeout=20) == 2
    assert any("refused the token" in line for line in forwarder.stderr)
    assert raw not in "\n".join(forwarder.stdout + forwarder.stderr)


def test_a_refused_subscription_is_said_so(site, token, receiver, forwarders):
    _, raw = token
    arguments = ["--site", site.url, "--forward-to", receiver.url, "--app", "x" * 200, "--only-new"]
    forwarder = Forwarder("listen", *arguments, token=raw)
    forwarders.append(forwarder)

    assert forwarder.process.wait(timeout=20) == 2
    assert any("refused the subscription: app must be a text" in line for line in forwarder.stderr)


def test_non_2xx_answers_are_shown_and_retried_in_order(site, token, receiver, forwarders, tmp_path):
    _, raw = token
    answers = iter([500, 503])
    receiver.answer = lambda received: next(answers, 200)
    forwarder = _listen(forwarders, site, receiver, raw, tmp_path / "state.json")

    _send_webhook(site, 1)
    _send_webhook(site, 2)
    received = receiver.wait_for(2)

    assert _sequences(received) == [1, 2]
    assert [r.delivery for r in receiver.seen[:3]] == [received[0].delivery] * 3
    assert "!! 500 Internal Server Error" in forwarder.stdout[0]
    assert "again in" in forwarder.stdout[0]


def test_a_conversation_the_local_server_refuses_holds_up_only_itself(
    site, token, receiver, forwarders, tmp_path
):
    _, raw = token
    refusals = iter([500, 500, 500])

    def answer(received):
        stuck = json.loads(received.body)["body"]["changes"][0]["conversationId"] == payloads.CONVERSATION
        return next(refusals, 200) if stuck else 200

    receiver.answer = answer
    _listen(forwarders, site, receiver, raw, tmp_path / "state.json")
    _send_webhook(site, 1)  # refused three times: 0.5 + 1 + 2 s of backoff
    _send_webhook(site, 2)
    for sequence in (1, 2, 3):
        _send_webhook(site, sequence, OTHER_CONVERSATION)
    received = receiver.wait_for(5)

    conversations = [json.loads(r.body)["body"]["changes"][0]["conversationId"] for r in received]
    assert conversations[:3] == [OTHER_CONVERSATION] * 3  # not held up behind the refused one
    stuck = [
        r
        for r, conversation in zip(received, conversations, strict=True)
        if conversation == payloads.CONVERSATION
    ]
    assert _sequences(stuck) == [1, 2]
    assert _sequences(received[:3]) == [1, 2, 3]


def test_tail_prints_json_lines_and_since_starts_earlier(site, token, forwarders):
    _, raw = token
    _send_webhook(site, 1)
    first = Delivery.objects.get()
    _send_webhook(site, 2)

    tail = Forwarder("tail", "--site", site.url, "--since", str(first.pk), token=raw)
    forwarders.append(tail)
    lines = _wait_lines(tail, 2)

    shown = [json.loads(line) for line in lines]
    assert [s["delivery"] for s in shown] == sorted(Delivery.objects.values_list("pk", flat=True))
    assert shown[0]["body"] == first.body
    assert shown[0]["headers"]["x-liveperson-signature"] == first.headers["x-liveperson-signature"]


def test_replay_posts_one_stored_delivery(site, token, receiver):
    _, raw = token
    _send_webhook(site, 1)
    delivery = Delivery.objects.get()

    replay = Forwarder("replay", str(delivery.pk), "--site", site.url, "--to", receiver.url, token=raw)

    assert replay.process.wait(timeout=20) == 0
    (received,) = receiver.wait_for(1)
    assert received.signature_valid
    assert received.body.decode() == delivery.body
    assert replay.stdout[0].startswith(delivery.received_at.isoformat()[11:23])


def test_no_token_reaches_the_site_log_or_the_output(site, token, receiver, forwarders, tmp_path):
    _, raw = token
    forwarder = _listen(forwarders, site, receiver, raw, tmp_path / "state.json")
    _send_webhook(site, 1)
    receiver.wait_for(1)
    forwarder.stop()

    assert raw not in Path(site.log).read_text()
    assert raw not in "\n".join(forwarder.stdout + forwarder.stderr)
    assert raw not in (tmp_path / "state.json").read_text()


def _wait_lines(forwarder: Forwarder, count: int, timeout: float = 20) -> list[str]:
    with forwarder._changed:
        assert forwarder._changed.wait_for(lambda: len(forwarder.stdout) >= count, timeout=timeout)
        return list(forwarder.stdout[:count])


class CuttableProxy:
    """A TCP proxy in front of the site whose connections the test can cut."""

    def __init__(self, port: int):
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def cut(self):
        for connection in self.sockets:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self.sockets.clear()

    def close(self):
        self.cut()
        self.listener.close()


def test_a_lost_site_connection_is_resumed_from_where_it_stopped(site, token, receiver, forwarders, tmp_path):
    _, raw = token
    proxy = CuttableProxy(int(site.url.rsplit(":", 1)[1]))
    try:
        arguments = ["--site", proxy.url, "--forward-to", receiver.url, "--state-file", str(tmp_path / "s")]
        forwarder = Forwarder("listen", *arguments, token=raw)
        forwarders.append(forwarder)
        forwarder.wait_for_output("caught up")
        _send_webhook(site, 1)
        receiver.wait_for(1)

        proxy.cut()
        forwarder.wait_for_output("lost the site")
        _send_webhook(site, 2)  # while it is away
        _send_webhook(site, 3)
        received = receiver.wait_for(3)
    finally:
        proxy.close()

    assert _sequences(received) == [1, 2, 3]
    assert len({r.delivery for r in received}) == 3
