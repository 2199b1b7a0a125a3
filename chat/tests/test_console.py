"""The requests console's entries: each named by what it does, and the same request as
a curl command whose secrets are shell variables (chat.console)."""

import json
import subprocess

import pytest

from chat import console
from chat.models import ChatRequest
from chat.tests.conftest import frames_until, socket, start
from core.offloop import off_loop
from liveperson import recording, send_api

SEND_URL = "https://va.msg.liveperson.net/api/account/90000001/messaging/consumer/conversation/send?v=3"
MASKED = recording.MASKED


def _send(request: dict, **fields) -> ChatRequest:
    return ChatRequest(
        service="asyncMessagingEnt",
        method="POST",
        url=SEND_URL,
        request_headers={
            "Authorization": MASKED,
            "X-LP-ON-BEHALF": MASKED,
            "Content-Type": "application/json",
            "Client-Properties": '{"type":".ClientProperties","features":["RICH_CONTENT"]}',
        },
        request_body=request,
        **fields,
    )


def _publish(event: dict, **extra) -> dict:
    return send_api.publish_event(conversation_id="c1", dialog_id="c1", event=event, **extra)


@pytest.mark.parametrize(
    ("request_body", "name"),
    [
        (_publish(send_api.text_event("Hi")), 'message "Hi"'),
        (_publish(send_api.text_event("Hello there, how are you today?")), 'message "Hello there, how are…"'),
        (_publish(send_api.chat_state_event("COMPOSING")), "ChatStateEvent COMPOSING"),
        (_publish(send_api.accept_status_event("READ", [3])), "AcceptStatusEvent READ [3]"),
        (_publish(send_api.accept_status_event("ACCEPT", [3, 4])), "AcceptStatusEvent ACCEPT [3, 4]"),
        (
            _publish(send_api.accept_status_event("ACTION", [5]), metadata=[{"type": "x"}]),
            "AcceptStatusEvent ACTION [5] (survey answer)",
        ),
        (
            _publish(send_api.file_event(caption="a", relative_path="/p", file_type="PNG", preview="")),
            "file (hosted/file)",
        ),
        (send_api.close_conversation("c1"), "close conversation"),
        (send_api.close_stage("c1"), "close (Stage: no survey)"),
        (send_api.close_dialog(conversation_id="c1", dialog_id="c1"), "close main dialog (survey)"),
        (send_api.ttr_change("c1", ttr_type="URGENT", seconds=60), "TTR URGENT"),
        (send_api.upload_url(file_size=10, file_type="PNG"), "upload URL"),
        ([{"type": "userprofile.SetUserProfile"}, {"type": "cm.ConsumerRequestConversation"}], None),
    ],
)
def test_each_send_api_request_is_named_by_what_it_does(request_body, name):
    expected = name or "open conversation (SetUserProfile, ConsumerRequestConversation)"
    assert console.request_name(_send(request_body)) == expected


@pytest.mark.parametrize(
    ("service", "method", "name"),
    [
        ("sentinel", "POST", "AppJWT (client credentials)"),
        ("idp", "POST", "ConsumerJWS"),
        ("swift", "PUT", "upload file"),
        ("swift", "GET", "download file"),
        ("msgHist", "POST", "messaging history"),
        ("somethingElse", "GET", "GET search"),
    ],
)
def test_other_services_are_named_too(service, method, name):
    request = ChatRequest(service=service, method=method, url="https://h/a/b/search?v=1", request_headers={})
    assert console.request_name(request) == name


def _arguments(command: str, **variables) -> list[str]:
    """What curl would be called with: bash parses the command, a function prints its arguments."""
    script = "curl() { printf '%s\\0' \"$@\"; }\n" + command
    env = {"PATH": "/usr/bin:/bin", **variables}
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, check=True).stdout
    return out.split("\0")[:-1]


def test_the_curl_of_a_send_has_its_secrets_as_variables_and_runs_as_sent():
    body = _publish(send_api.text_event('It\'s "quoted" $HOME `x`'))
    command = console.curl_command(_send(body))

    assert MASKED not in command
    arguments = _arguments(command, LP_APP_JWT="the-app-jwt", LP_CONSUMER_JWS="the-jws")
    assert arguments[:3] == ["-X", "POST", SEND_URL]
    assert "Authorization: the-app-jwt" in arguments
    assert "X-LP-ON-BEHALF: the-jws" in arguments
    assert "Content-Type: application/json" in arguments
    sent = arguments[arguments.index("--data-raw") + 1]
    assert json.loads(sent) == body  # quotes, $ and backticks stay text


def test_the_curl_of_the_appjwt_sends_the_client_secret_from_a_variable():
    request = ChatRequest(
        service="sentinel",
        method="POST",
        url="https://h/sentinel/api/account/1/app/token?v=1.0&grant_type=client_credentials",
        request_headers={"Accept": "application/json"},
        request_body={"client_id": "the-client", "client_secret": MASKED},
    )

    arguments = _arguments(console.curl_command(request), LP_CLIENT_SECRET="s3cret")

    assert "client_id=the-client" in arguments
    assert "client_secret=s3cret" in arguments
    assert arguments.count("--data-urlencode") == 2


def test_the_curl_of_a_swift_download_has_the_signature_as_a_variable():
    request = ChatRequest(
        service="swift",
        method="GET",
        url="https://swift/v1/file.png?temp_url_sig=********&temp_url_expires=1700000000",
        request_headers={},
    )

    arguments = _arguments(console.curl_command(request), LP_TEMP_URL_SIG="abc")

    assert arguments[2] == "https://swift/v1/file.png?temp_url_sig=abc&temp_url_expires=1700000000"


def test_a_recorded_call_keeps_its_query_masked():
    with recording.recording() as exchanges:
        exchange = recording.exchange_start(
            "GET",
            "https://swift/v1/f",
            "swift",
            {"params": {"temp_url_sig": "real-sig", "temp_url_expires": 5}},
        )
    assert exchanges == [exchange]
    assert exchange.query == {"temp_url_sig": MASKED, "temp_url_expires": "5"}
    assert console._with_query(exchange.url, exchange.query) == (
        "https://swift/v1/f?temp_url_sig=********&temp_url_expires=5"
    )


@pytest.mark.django_db(transaction=True)
async def test_a_real_chat_names_its_requests_and_gives_curls_without_secrets(admin, chat_app, workers):
    chat = await off_loop(start)(admin, chat_app, first_message="Hello")
    communicator = socket(f"/ws/chat/{chat.pk}/", admin)
    assert (await communicator.connect())[0]

    frames = await frames_until(communicator, lambda f: f["type"] == "requests")
    requests = frames[-1]["requests"]
    names = [r["name"] for r in requests]
    assert names[:4] == [
        "AppJWT (client credentials)",
        "ConsumerJWS",
        "open conversation (SetUserProfile, ConsumerRequestConversation)",
        'message "Hello"',
    ]
    assert all(r["duration_ms"] >= 0 for r in requests)
    send = requests[3]
    assert send["url"].endswith("/conversation/send?v=3")
    assert '"$LP_APP_JWT"' in send["curl"]
    assert '"$LP_CONSUMER_JWS"' in send["curl"]
    secret = await off_loop(lambda: chat_app.client_secret)()
    jws = await off_loop(lambda: chat.consumer_jws)()
    curls = " ".join(r["curl"] for r in requests)
    assert secret not in curls
    assert jws not in curls
    assert '"$LP_CLIENT_SECRET"' in requests[0]["curl"]
    await communicator.disconnect()
