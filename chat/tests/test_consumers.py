"""ws/chat/<pk>/ through the full ASGI application with a real session, against
the sandbox over real HTTP and real signed webhooks (see conftest)."""

import asyncio
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import AppToken, ChatConversation
from chat.tests.conftest import frames_until, has_text, socket, start, texts
from core.offloop import off_loop
from sandbox.models import RequestLog
from sandbox.tokens import APP_JWT, token_decode, token_encode

pytestmark = pytest.mark.django_db(transaction=True)


def _events(frames: list[dict]) -> list[dict]:
    return [event for frame in frames if frame["type"] == "events" for event in frame["events"]]


async def _connected(path: str, client):
    communicator = socket(path, client)
    assert (await communicator.connect())[0]
    return communicator


async def _drain(communicator, quiet: float = 0.5) -> list[dict]:
    """Every frame until none arrives for `quiet` seconds (receive_nothing, unlike a
    receive that times out, leaves the application running)."""
    frames = []
    while not await communicator.receive_nothing(timeout=quiet):
        frames.append(await communicator.receive_json_from())
    return frames


async def test_it_refuses_an_anonymous_socket(admin, chat_app):
    chat = await off_loop(start)(admin, chat_app, first_message="")

    connected, code = await socket(f"/ws/chat/{chat.pk}/").connect()

    assert (connected, code) == (False, 4403)


async def test_it_refuses_another_accounts_conversation(admin, chat_app, qa_admin):
    chat = await off_loop(start)(admin, chat_app, first_message="")

    connected, code = await socket(f"/ws/chat/{chat.pk}/", qa_admin).connect()

    assert (connected, code) == (False, 4404)


async def test_it_catches_up_after_the_given_seq_without_gaps_or_duplicates(admin, chat_app, workers):
    chat = await off_loop(start)(admin, chat_app, first_message="one")
    first = await _connected(f"/ws/chat/{chat.pk}/", admin)
    frames = await frames_until(first, has_text("You said: one", "ASSIGNED_AGENT"))
    seen = [event["seq"] for event in _events(frames)]
    await first.disconnect()  # the socket drops; meanwhile the conversation goes on
    await off_loop(_send_text)(chat.pk, "two")
    await asyncio.sleep(0.5)

    again = await _connected(f"/ws/chat/{chat.pk}/?after={seen[-1]}", admin)
    frames = await frames_until(again, has_text("You said: two", "ASSIGNED_AGENT"))
    frames += await _drain(again)
    caught_up = [event["seq"] for event in _events(frames)]

    assert seen == list(range(1, len(seen) + 1))
    assert caught_up == list(range(seen[-1] + 1, seen[-1] + 1 + len(caught_up)))
    assert texts(frames, "CONSUMER") == ["two"]
    await again.disconnect()


async def test_several_sockets_each_get_every_event_once(admin, chat_app, workers):
    chat = await off_loop(start)(admin, chat_app, first_message="")
    sockets = [await _connected(f"/ws/chat/{chat.pk}/", admin) for _ in range(3)]

    await sockets[0].send_json_to({"action": "send_text", "ref": "r1", "text": "for all"})

    received = []
    for communicator in sockets:
        frames = await frames_until(communicator, has_text("You said: for all", "ASSIGNED_AGENT"))
        frames += await _drain(communicator)
        received.append([event["seq"] for event in _events(frames)])
        await communicator.disconnect()
    assert received[0] == list(range(1, len(received[0]) + 1))
    assert received[1] == received[0]
    assert received[2] == received[0]


async def test_a_sent_message_is_acknowledged_with_its_sequence(admin, chat_app):
    chat = await off_loop(start)(admin, chat_app, first_message="")
    communicator = await _connected(f"/ws/chat/{chat.pk}/", admin)

    await communicator.send_json_to({"action": "send_text", "ref": "r7", "text": "hello"})

    frames = await frames_until(communicator, lambda f: f["type"] == "sent")
    assert frames[-1]["ref"] == "r7"
    assert isinstance(frames[-1]["sequence"], int)
    await communicator.disconnect()


async def test_liveperson_down_gives_a_clear_error_and_the_socket_stays(admin, chat_app, sandbox):
    chat = await off_loop(start)(admin, chat_app, first_message="")
    communicator = await _connected(f"/ws/chat/{chat.pk}/", admin)
    fault = await off_loop(sandbox.fault)("down", service="asyncMessagingEnt")

    await communicator.send_json_to({"action": "send_text", "ref": "r1", "text": "anyone?"})
    frames = await frames_until(communicator, lambda f: f["type"] == "error")
    await off_loop(fault.delete)()
    await communicator.send_json_to({"action": "send_text", "ref": "r2", "text": "back?"})
    after = await frames_until(communicator, lambda f: f["type"] == "sent")

    assert frames[-1]["ref"] == "r1"
    assert "LivePerson" in frames[-1]["message"]
    assert after[-1]["ref"] == "r2"
    await communicator.disconnect()


async def test_an_expired_app_jwt_is_replaced_without_the_user_noticing(admin, chat_app):
    chat = await off_loop(start)(admin, chat_app, first_message="")
    # Our cache still believes the token good (e.g. clocks disagree); LivePerson says 40102.
    await off_loop(_app_token_already_expired)(chat_app)
    communicator = await _connected(f"/ws/chat/{chat.pk}/", admin)

    await communicator.send_json_to({"action": "send_text", "ref": "r1", "text": "still there?"})

    frames = await frames_until(communicator, lambda f: f["type"] in ("sent", "error"))
    assert frames[-1]["type"] == "sent"
    statuses = await off_loop(_statuses)("asyncMessagingEnt")
    assert statuses[-2:] == [401, 200]
    assert len(await off_loop(_statuses)("sentinel")) == 2
    await communicator.disconnect()


async def test_an_app_jwt_about_to_expire_is_replaced_before_it_is_used(admin, chat_app):
    chat = await off_loop(start)(admin, chat_app, first_message="")
    await off_loop(_app_token_expires)(chat_app, timezone.now() + timedelta(seconds=30))

    await off_loop(_send_text)(chat.pk, "hi")

    assert await off_loop(_statuses)("sentinel") == [200, 200]
    assert 401 not in await off_loop(_statuses)("asyncMessagingEnt")


async def test_an_unknown_action_is_an_error(admin, chat_app):
    chat = await off_loop(start)(admin, chat_app, first_message="")
    communicator = await _connected(f"/ws/chat/{chat.pk}/", admin)

    await communicator.send_json_to({"action": "explode"})

    frames = await frames_until(communicator, lambda f: f["type"] == "error")
    assert frames[-1] == {"type": "error", "ref": None, "message": "Unknown action."}
    await communicator.disconnect()


def _app_token_already_expired(app) -> None:
    """Swap the cached AppJWT for one LivePerson considers expired, while our cache
    believes it good for an hour (a token minted with a short life could expire in
    the middle of starting the chat on a busy machine)."""
    cached = AppToken.objects.get(installation=app)
    claims = token_decode(cached.token, kind=APP_JWT)
    cached.token = token_encode({**claims, "exp": int(time.time()) - 1}, kind=APP_JWT)
    cached.expires_at = timezone.now() + timedelta(hours=1)
    cached.save()


def _app_token_expires(app, at) -> None:
    """What our cache believes about the app's AppJWT."""
    AppToken.objects.filter(installation=app).update(expires_at=at)


def _send_text(pk: int, text: str) -> None:
    from chat import actions

    actions.conversation_send_text(conversation=ChatConversation.objects.get(pk=pk), text=text)


def _statuses(service: str) -> list[int]:
    return list(RequestLog.objects.filter(service=service).order_by("id").values_list("status", flat=True))


async def test_a_conversation_whose_webhooks_go_elsewhere_is_restored_from_history(admin, chat_app):
    chat = await off_loop(start)(admin, chat_app, first_message="remember me")
    await off_loop(_webhooks_elsewhere)(chat_app)

    communicator = await _connected(f"/ws/chat/{chat.pk}/", admin)

    frames = await frames_until(communicator, lambda f: f["type"] == "history")
    records = frames[-1]["records"]
    assert [(r["sent_by"], r["kind"], r["text"]) for r in records] == [("consumer", "text", "remember me")]
    assert records[0]["seq"] == 0
    await communicator.disconnect()


async def test_history_is_not_fetched_when_our_events_cover_the_conversation(admin, chat_app):
    chat = await off_loop(start)(admin, chat_app, first_message="hi")

    communicator = await _connected(f"/ws/chat/{chat.pk}/", admin)

    frames = await frames_until(communicator, lambda f: f["type"] == "requests")
    frames += await _drain(communicator)
    assert "history" not in [f["type"] for f in frames]
    assert await off_loop(_statuses)("msgHist") == []
    await communicator.disconnect()


def _webhooks_elsewhere(app) -> None:
    app.endpoints = {kind: "https://example.com/hooks" for kind in app.endpoints}
    app.save(update_fields=["endpoints"])
