"""The demo chat against SEND answers in the shapes LivePerson may use (docs/LIVEPERSON.md,
'Response bodies'): the documented {reqId, code, body: {sequence}}, {reqId, code} without a
body, or an empty body are all "sent"; a 2xx that is not JSON may or may not have been
carried out, so it is checked, like a timeout, before anything is said to have failed."""

import pytest

from chat.tests.conftest import frames_until, has_text, socket, start
from core.offloop import off_loop
from sandbox.models import Account

pytestmark = pytest.mark.django_db(transaction=True)


def _answers(shape: str) -> None:
    Account.objects.filter(account_id="90000001").update(send_answer=shape)


def _sent_or_error(ref: str):
    return lambda frame: frame["type"] in ("sent", "error") and frame.get("ref") == ref


@pytest.mark.parametrize("shape", ["documented", "no_body", "empty"])
async def test_every_answer_shape_is_sent(admin, chat_app, workers, shape):
    chat = await off_loop(start)(admin, chat_app, first_message="")
    communicator = socket(f"/ws/chat/{chat.pk}/", admin)
    assert (await communicator.connect())[0]
    await off_loop(_answers)(shape)

    await communicator.send_json_to({"action": "send_text", "ref": "r1", "text": f"shape {shape}"})

    frames = await frames_until(communicator, _sent_or_error("r1"))
    if not any(has_text(f"shape {shape}", "CONSUMER")(f) for f in frames):  # the echo, either side
        await frames_until(communicator, has_text(f"shape {shape}", "CONSUMER"))
    assert frames[-1]["type"] == "sent"
    assert isinstance(frames[-1]["sequence"], int) == (shape == "documented")  # else the echo tells
    await communicator.disconnect()


async def test_an_answer_that_is_not_json_is_checked_before_it_is_called_failed(
    admin, chat_app, workers, sandbox, settings
):
    chat = await off_loop(start)(admin, chat_app, first_message="")
    communicator = socket(f"/ws/chat/{chat.pk}/", admin)
    assert (await communicator.connect())[0]
    await frames_until(communicator, lambda f: f["type"] == "conversation")
    settings.CHAT_SEND_RECONCILE_SECONDS = 0.3
    await off_loop(sandbox.fault)("garbage", service="asyncMessagingEnt")  # answers, does nothing

    await communicator.send_json_to({"action": "send_text", "ref": "r1", "text": "lost"})

    frames = await frames_until(communicator, _sent_or_error("r1"))
    assert [f["type"] for f in frames if f.get("ref") == "r1"] == ["unconfirmed", "error"]
    assert frames[-1]["retry"] is True
    await communicator.disconnect()
