"""POST /notifications/event through the full ASGI application, real PostgreSQL and Redis."""

import json

import pytest
from channels.testing import WebsocketCommunicator

from webhooks import payloads
from webhooks.models import Conversation, Delivery, Event
from webhooks.payloads import CONVERSATION, SECRET, encode, headers_for
from webhooks.tests.conftest import post, post_signed

pytestmark = pytest.mark.django_db(transaction=True)


def _body(response) -> dict:
    return json.loads(response["body"])


async def _delivery() -> Delivery:
    return await Delivery.objects.alatest("pk")


# --- Signatures ---


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
async def test_it_accepts_a_valid_signature(installation, algorithm):
    response = await post_signed(payloads.messaging(payloads.content(1)), algorithm=algorithm)

    assert response["status"] == 200
    assert _body(response) == {"status": "accepted", "events": 1}
    delivery = await _delivery()
    assert (delivery.accepted, delivery.signature_algorithm, delivery.signature_valid) == (
        True,
        algorithm,
        True,
    )


async def test_it_refuses_a_signature_made_with_another_secret(installation):
    response = await post_signed(payloads.messaging(payloads.content(1)), secret="not-the-secret")

    assert response["status"] == 401
    delivery = await _delivery()
    assert (delivery.reason, delivery.signature_valid) == ("bad_signature", False)
    assert not await Event.objects.aexists()


async def test_it_refuses_a_tampered_body(installation):
    body = encode(payloads.messaging(payloads.content(1)))
    headers = headers_for(body)

    response = await post(body.replace(b"Hello", b"Jello"), headers)

    assert response["status"] == 401
    assert (await _delivery()).reason == "bad_signature"


@pytest.mark.parametrize(
    "missing", ["x-liveperson-account-id", "x-liveperson-client-id", "x-liveperson-signature"]
)
async def test_it_refuses_missing_headers(installation, missing):
    body = encode(payloads.messaging(payloads.content(1)))
    headers = headers_for(body)
    del headers[missing]

    response = await post(body, headers)

    assert response["status"] == 401
    assert (await _delivery()).reason == "missing_headers"


async def test_it_holds_the_request_of_an_unknown_app_unverified(installation):
    response = await post_signed(payloads.messaging(payloads.content(1)), client_id="someone-else")

    assert response["status"] == 200
    delivery = await _delivery()
    assert (delivery.reason, delivery.accepted, delivery.signature_valid) == ("held", False, None)
    assert await Event.objects.acount() == 0


async def test_an_app_of_another_account_is_not_this_accounts(installation):
    response = await post_signed(payloads.messaging(payloads.content(1)), account="le90000002")

    assert response["status"] == 200
    assert (await _delivery()).reason == "held"
    assert await Event.objects.acount() == 0


async def test_it_refuses_an_unsupported_signature_algorithm(installation):
    body = encode(payloads.messaging(payloads.content(1)))
    headers = {
        **headers_for(body),
        "x-liveperson-signature": "md5=" + headers_for(body)["x-liveperson-signature"][5:],
    }

    response = await post(body, headers)

    assert response["status"] == 401


@pytest.mark.parametrize("ascii_only", [False, True], ids=["raw-unicode", "escaped-unicode"])
async def test_bodies_with_emoji_and_unicode_verify_on_the_raw_bytes(installation, ascii_only):
    notification = payloads.messaging(payloads.content(1, text='Olá 👋 — ñandú 漢字 \u2028 "quoted"'))
    body = encode(notification, ascii_only=ascii_only)

    response = await post(body, headers_for(body))

    assert response["status"] == 200
    event = await Event.objects.aget()
    assert event.payload["event"]["message"] == 'Olá 👋 — ñandú 漢字 \u2028 "quoted"'


async def test_spacing_that_a_reserialisation_would_change_still_verifies(installation):
    body = json.dumps(payloads.messaging(payloads.content(1)), indent=3).encode()

    assert (await post(body, headers_for(body)))["status"] == 200


# --- Bad input ---


async def test_it_answers_400_for_malformed_json(installation):
    body = b'{"kind": "notification", "type": '

    response = await post(body, headers_for(body))

    assert response["status"] == 400
    delivery = await _delivery()
    assert (delivery.reason, delivery.body) == ("malformed_json", body.decode())


@pytest.mark.parametrize(
    "notification",
    [{"kind": "request"}, {"kind": "notification", "type": "ms.MessagingEventNotification"}, [], "text"],
)
async def test_it_answers_400_for_json_that_is_not_a_notification(installation, notification):
    body = json.dumps(notification).encode()

    response = await post(body, headers_for(body))

    assert response["status"] == 400
    assert (await _delivery()).reason == "not_a_notification"


async def test_it_answers_400_for_a_body_that_is_not_utf8(installation):
    body = b"\xff\xfe{not json"

    assert (await post(body, headers_for(body)))["status"] == 400


async def test_it_answers_413_over_the_size_limit_and_keeps_the_start(installation, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 1000
    body = encode(payloads.messaging(payloads.content(1, text="x" * 5000)))

    response = await post(body, headers_for(body))

    assert response["status"] == 413
    delivery = await _delivery()
    assert (delivery.reason, delivery.body_truncated, len(delivery.body)) == ("too_large", True, 1000)


async def test_it_answers_405_to_other_methods_and_records_them(installation):
    response = await post(b"", {}, method="GET")

    assert response["status"] == 405
    assert dict(response["headers"])[b"allow"] == b"POST"
    delivery = await _delivery()
    assert (delivery.method, delivery.reason) == ("GET", "method_not_allowed")


async def test_it_keeps_unknown_event_types(installation):
    change = {**payloads.content(1), "event": {"type": "FutureEvent", "x": 1}}

    response = await post_signed(payloads.messaging(change))

    assert response["status"] == 200
    assert (await Event.objects.aget()).event_type == "FutureEvent"


async def test_it_masks_header_values_that_may_be_secrets(installation):
    body = encode(payloads.messaging(payloads.content(1)))

    await post(body, {**headers_for(body), "x-api-key": "custom-secret-value"})

    headers = (await _delivery()).headers
    assert headers["x-api-key"] == "•••• (19 characters)"
    assert headers["x-liveperson-client-id"] == payloads.CLIENT_ID
    assert SECRET not in json.dumps(headers)


async def test_it_answers_503_at_once_when_overloaded(installation, settings):
    settings.WEBHOOK_MAX_PENDING = 0

    response = await post_signed(payloads.messaging(payloads.content(1)))

    assert response["status"] == 503
    assert dict(response["headers"])[b"retry-after"] == b"1"
    assert not await Event.objects.aexists()


# --- Attribution: every change of every shape ---


async def test_every_change_is_stored_in_order(installation):
    await post_signed(payloads.messaging(payloads.content(1), payloads.content(2), payloads.accept_status(3)))

    events = [e async for e in Event.objects.order_by("seq")]
    assert [(e.seq, e.event_type) for e in events] == [
        (1, "ContentEvent"),
        (2, "ContentEvent"),
        (3, "AcceptStatusEvent"),
    ]
    conversation = await Conversation.objects.aget()
    assert (conversation.conversation_id, conversation.last_seq) == (CONVERSATION, 3)


@pytest.mark.parametrize(
    ("notification", "event_type"),
    [
        (payloads.messaging(payloads.content(1)), "ContentEvent"),
        (payloads.messaging(payloads.rich_content(1)), "RichContentEvent"),
        (payloads.messaging(payloads.accept_status(1)), "AcceptStatusEvent"),
        (payloads.messaging(payloads.chat_state()), "ChatStateEvent"),
        (payloads.messaging(payloads.dialog_only_content(1)), "ContentEvent"),
        (payloads.conversation_change(), "UPSERT"),
        (payloads.conversation_change(change_type="DELETE"), "DELETE"),
    ],
)
async def test_each_notification_shape_is_attributed_to_its_conversation(
    installation, notification, event_type
):
    response = await post_signed(notification)

    assert response["status"] == 200
    event = await Event.objects.select_related("conversation").aget()
    assert event.event_type == event_type
    assert event.conversation.conversation_id == CONVERSATION


async def test_events_are_stored_with_nobody_watching(installation):
    for sequence in range(1, 4):
        await post_signed(payloads.messaging(payloads.content(sequence)))

    assert await Event.objects.acount() == 3


# --- Redeliveries ---


async def test_a_redelivery_is_acknowledged_and_stored_once(installation):
    notification = payloads.messaging(payloads.content(1))

    first = await post_signed(notification)
    second = await post_signed(notification)

    assert _body(first) == {"status": "accepted", "events": 1}
    assert (second["status"], _body(second)) == (200, {"status": "duplicate", "events": 0})
    assert await Event.objects.acount() == 1
    assert (await Conversation.objects.aget()).last_seq == 1


async def test_a_redelivery_of_a_conversation_change_is_stored_once(installation):
    await post_signed(payloads.conversation_change(updated=1))
    await post_signed(payloads.conversation_change(updated=1))
    await post_signed(payloads.conversation_change(state="CLOSE", updated=2))

    assert await Event.objects.acount() == 2


async def test_distinct_conversation_changes_sharing_a_timestamp_are_both_stored(installation):
    # metaDataLastUpdateTs is not promised unique (docs/LIVEPERSON.md, 'Conversation changes'):
    # an assignment and a close in one millisecond are two changes, not a redelivery.
    await post_signed(payloads.conversation_change(updated=5))
    await post_signed(payloads.conversation_change(state="CLOSE", updated=5))
    await post_signed(payloads.conversation_change(state="CLOSE", updated=5))

    states = [
        e.payload["result"]["conversationDetails"]["state"] async for e in Event.objects.order_by("seq")
    ]
    assert states == ["OPEN", "CLOSE"]


async def test_a_partial_redelivery_stores_only_what_is_new(installation):
    await post_signed(payloads.messaging(payloads.content(1)))

    await post_signed(payloads.messaging(payloads.content(1), payloads.content(2)))

    assert [e.seq async for e in Event.objects.order_by("seq")] == [1, 2]


async def test_repeated_chat_states_are_all_kept(installation):
    await post_signed(payloads.messaging(payloads.chat_state()))
    await post_signed(payloads.messaging(payloads.chat_state()))

    assert await Event.objects.acount() == 2


# --- Broadcast ---


async def _subscribe(conversation_pk: int, session_cookie: str):
    communicator = WebsocketCommunicator(
        __import__("connector_site.asgi", fromlist=["application"]).application,
        f"/ws/conversations/{conversation_pk}/events/",
        headers=[(b"origin", b"http://localhost"), (b"cookie", f"sessionid={session_cookie}".encode())],
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def test_accepted_events_reach_a_subscriber_once_and_rejected_ones_never(installation, session_cookie):
    await post_signed(payloads.messaging(payloads.content(1)))
    conversation = await Conversation.objects.aget()
    communicator = await _subscribe(conversation.pk, session_cookie)
    assert [e["seq"] for e in (await communicator.receive_json_from())["events"]] == [1]

    await post_signed(payloads.messaging(payloads.content(2)))
    await post_signed(payloads.messaging(payloads.content(2)))  # redelivery
    await post_signed(payloads.messaging(payloads.content(3)), secret="wrong")  # rejected

    live = await communicator.receive_json_from(timeout=5)
    assert [(e["seq"], e["payload"]["sequence"]) for e in live["events"]] == [(2, 2)]
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()
