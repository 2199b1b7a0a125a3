"""The sandbox's Connector API services answer like LivePerson, to the documented
requests and to what the original Node app sends (docs/LIVEPERSON.md: the
'Connector authorization' and 'Send API' sections, 'Messaging history'): plain
`requests` against the live server, no client code involved."""

import json
import logging
import time
import uuid

import pytest
import requests

from core.logs import JsonFormatter
from sandbox.models import Account, Installation, RequestLog

ACCOUNT = "90000001"
# The original app's CONVERSATION body, byte for byte in spirit
# (docs/LIVEPERSON.md, 'Send API: CONVERSATION').
SEED_CONVERSATION = [
    {
        "kind": "req",
        "id": "2,",
        "type": "userprofile.SetUserProfile",
        "body": {
            "firstName": "Kim",
            "lastName": "",
            "avatarUrl": "http://avatarurl.com",
            "role": "consumer",
            "backgndImgUri": "http://something.com",
            "description": "Test Description",
            "privateData": {
                "mobileNum": "1750345346",
                "mail": "test@email.com",
                "pushNotificationData": {"serviceName": "Service", "certName": "CertName", "token": "TOKEN"},
            },
        },
    },
    {
        "kind": "req",
        "id": "1,",
        "type": "cm.ConsumerRequestConversation",
        "body": {
            "ttrDefName": None,
            "campaignInfo": {"campaignId": 2894629312, "engagementId": 2894629412},
            "channelType": "MESSAGING",
            "brandId": ACCOUNT,
            "skillId": "-1",
            "conversationContext": {
                "visitorId": "",
                "sessionId": "",
                "interactionContextId": 2,
                "type": "SharkContext",
                "lang": "en-US",
                "features": ["AUTO_MESSAGES"],
            },
        },
    },
]
SEED_PROPERTIES = json.dumps({"type": ".ClientProperties", "features": ["AUTO_MESSAGES"]})


@pytest.fixture
def installation(sandbox):
    return Installation.objects.create(
        account=Account.objects.get(account_id=ACCOUNT),
        client_id=str(uuid.uuid4()),
        client_secret="s3cr3t-" + uuid.uuid4().hex,
        client_id_issued_at=int(time.time()),
        data={"client_name": "Seed", "scope": "msg.consumer", "enabled": True},
    )


def _url(sandbox, prefix: str, path: str) -> str:
    return f"{sandbox.url}/sandbox/{prefix}{path}"


def _seed_token(sandbox, installation) -> requests.Response:
    """The original app's request: everything in the query string, empty body."""
    return requests.post(
        _url(sandbox, "sentinel", f"/sentinel/api/account/{ACCOUNT}/app/token"),
        params={
            "v": "1.0",
            "grant_type": "client_credentials",
            "client_id": installation.client_id,
            "client_secret": installation.client_secret,
        },
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )


def _consumer_headers(sandbox, installation, ext_id: str = "0.123") -> dict:
    app_jwt = _seed_token(sandbox, installation).json()["access_token"]
    jws = requests.post(
        _url(sandbox, "idp", f"/api/account/{ACCOUNT}/consumer"),
        params={"v": "1.0"},
        headers={"Authorization": app_jwt},
        json={"ext_consumer_id": ext_id},
        timeout=10,
    ).json()["token"]
    return {"Authorization": app_jwt, "X-LP-ON-BEHALF": jws, "Client-Properties": SEED_PROPERTIES}


def _open(sandbox, headers, body=None) -> requests.Response:
    return requests.post(
        _url(sandbox, "ams", f"/api/account/{ACCOUNT}/messaging/consumer/conversation"),
        params={"v": "3"},
        headers=headers,
        json=SEED_CONVERSATION if body is None else body,
        timeout=10,
    )


def _send(sandbox, headers, request) -> requests.Response:
    return requests.post(
        _url(sandbox, "ams", f"/api/account/{ACCOUNT}/messaging/consumer/conversation/send"),
        params={"v": "3"},
        headers=headers,
        json=request,
        timeout=10,
    )


# --- Sentinel ----------------------------------------------------------------------


def test_sentinel_accepts_the_original_apps_query_string_request(sandbox, installation):
    response = _seed_token(sandbox, installation)

    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"
    assert response.json()["access_token"].count(".") == 2


def test_sentinel_accepts_the_documented_form_body(sandbox, installation):
    response = requests.post(
        _url(sandbox, "sentinel", f"/sentinel/api/account/{ACCOUNT}/app/token"),
        params={"v": "1.0", "grant_type": "client_credentials"},
        data={"client_id": installation.client_id, "client_secret": installation.client_secret},
        timeout=10,
    )

    assert response.status_code == 200


def test_sentinel_refuses_bad_credentials_with_401(sandbox, installation):
    installation.client_secret = "wrong"

    response = _seed_token(sandbox, installation)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_sentinel_needs_the_client_credentials_grant(sandbox, installation):
    response = requests.post(
        _url(sandbox, "sentinel", f"/sentinel/api/account/{ACCOUNT}/app/token"),
        data={"client_id": installation.client_id, "client_secret": installation.client_secret},
        timeout=10,
    )

    assert response.status_code == 400


# --- IdP ----------------------------------------------------------------------------


def test_idp_refuses_a_bearer_prefixed_app_jwt(sandbox, installation):
    # The IdP takes the raw AppJWT (docs/LIVEPERSON.md, 'Connector authorization: ConsumerJWS').
    app_jwt = _seed_token(sandbox, installation).json()["access_token"]

    response = requests.post(
        _url(sandbox, "idp", f"/api/account/{ACCOUNT}/consumer?v=1.0"),
        headers={"Authorization": f"Bearer {app_jwt}"},
        json={"ext_consumer_id": "x"},
        timeout=10,
    )

    assert response.status_code == 401
    assert response.json()["body"]["errorCode"] == 40102


def test_idp_needs_an_ext_consumer_id(sandbox, installation):
    app_jwt = _seed_token(sandbox, installation).json()["access_token"]

    response = requests.post(
        _url(sandbox, "idp", f"/api/account/{ACCOUNT}/consumer"),
        headers={"Authorization": app_jwt},
        json={},
        timeout=10,
    )

    assert response.status_code == 400


# --- Send API --------------------------------------------------------------------------


def test_conversation_answers_the_original_apps_array_per_req_id(sandbox, installation):
    response = _open(sandbox, _consumer_headers(sandbox, installation))

    profile, conversation = response.json()
    assert response.status_code == 200
    assert profile == {"reqId": "2,", "code": "OK", "body": {"msg": "OK User Profile set successfully"}}
    assert (conversation["reqId"], conversation["code"]) == ("1,", "OK")
    assert conversation["body"]["conversationId"]


def test_conversation_refuses_an_array_without_a_leading_set_user_profile(sandbox, installation):
    # SetUserProfile is mandatory and comes first (docs/LIVEPERSON.md, 'Send API: CONVERSATION').
    headers = _consumer_headers(sandbox, installation)

    reversed_order = _open(sandbox, headers, list(reversed(SEED_CONVERSATION)))
    without = _open(sandbox, headers, [SEED_CONVERSATION[1]])

    for response in (reversed_order, without):
        assert response.status_code == 400
        assert "userprofile.SetUserProfile" in response.json()["body"]["details"]


def test_conversation_accepts_a_request_without_channel_type(sandbox, installation):
    # The page's own minimal example has no channelType (docs/LIVEPERSON.md, 'Send API: CONVERSATION').
    body = {key: value for key, value in SEED_CONVERSATION[1]["body"].items() if key != "channelType"}

    response = _open(
        sandbox,
        _consumer_headers(sandbox, installation),
        [SEED_CONVERSATION[0], {**SEED_CONVERSATION[1], "body": body}],
    )

    assert response.status_code == 200, response.content
    assert response.json()[1]["body"]["conversationId"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"not": "an array"}, "array"),
        ([SEED_CONVERSATION[0]], "exactly one"),
        ([{**SEED_CONVERSATION[1], "type": "cm.Unknown"}], "Unsupported"),
        (
            [
                SEED_CONVERSATION[0],
                {**SEED_CONVERSATION[1], "body": {**SEED_CONVERSATION[1]["body"], "channelType": "X"}},
            ],
            "channelType",
        ),
    ],
)
def test_conversation_refuses_a_malformed_array_with_a_clear_400(sandbox, installation, body, reason):
    response = _open(sandbox, _consumer_headers(sandbox, installation), body)

    assert response.status_code == 400
    assert reason in response.json()["body"]["details"]


def test_send_accepts_a_dialog_id_without_conversation_id(sandbox, installation):
    headers = _consumer_headers(sandbox, installation)
    conversation_id = _open(sandbox, headers).json()[1]["body"]["conversationId"]
    event = {"type": "ContentEvent", "contentType": "text/plain", "message": "hi"}

    response = _send(
        sandbox,
        headers,
        {
            "kind": "req",
            "id": "3",
            "type": "ms.PublishEvent",
            "body": {"dialogId": conversation_id, "event": event},
        },
    )

    assert response.json() == {"reqId": "3", "code": "OK", "body": {"sequence": 0}}


def test_send_refuses_a_dialog_of_another_conversation(sandbox, installation):
    headers = _consumer_headers(sandbox, installation)
    conversation_id = _open(sandbox, headers).json()[1]["body"]["conversationId"]
    event = {"type": "ChatStateEvent", "chatState": "COMPOSING"}
    body = {"dialogId": conversation_id, "conversationId": "other", "event": event}

    response = _send(sandbox, headers, {"kind": "req", "id": "3", "type": "ms.PublishEvent", "body": body})

    assert response.status_code == 400


def test_send_refuses_an_unknown_request_type(sandbox, installation):
    response = _send(
        sandbox,
        _consumer_headers(sandbox, installation),
        {"kind": "req", "id": "1", "type": "ms.Nope", "body": {}},
    )

    assert response.status_code == 400
    assert response.json()["body"]["details"] == "Unsupported request type ms.Nope"


def test_send_refuses_client_properties_that_are_not_json(sandbox, installation):
    headers = {**_consumer_headers(sandbox, installation), "Client-Properties": "{features"}

    assert _open(sandbox, headers).status_code == 400


def test_send_api_auth_errors_have_livepersons_body(sandbox, installation):
    response = _open(sandbox, {})

    assert response.status_code == 401
    assert response.json() == {
        "kind": "resp",
        "code": 401,
        "body": {
            "title": "AppJWT is missing",
            "details": "AUTHORIZATION header is not present",
            "errorCode": 40105,
        },
        "type": ".ReqBody$ErrorResp",
    }


def test_an_app_jwt_of_a_deleted_installation_is_invalid(sandbox, installation):
    headers = _consumer_headers(sandbox, installation)
    Installation.objects.filter(pk=installation.pk).update(deleted=True)

    response = _open(sandbox, headers)

    assert response.json()["body"]["errorCode"] == 40102


def test_a_consumer_jws_is_not_an_app_jwt(sandbox, installation):
    headers = _consumer_headers(sandbox, installation)

    response = _open(sandbox, {**headers, "Authorization": headers["X-LP-ON-BEHALF"]})

    assert response.json()["body"]["errorCode"] == 40102


# --- swift ------------------------------------------------------------------------------


def test_swift_refuses_a_put_without_signature(sandbox, installation):
    response = requests.put(
        _url(sandbox, "swift", f"/v1/AUTH_async-images/{ACCOUNT}/x.PNG"), data=b"png", timeout=10
    )

    assert response.status_code == 401


# --- Messaging history -------------------------------------------------------------------


def _bearer(sandbox) -> str:
    response = requests.post(
        _url(sandbox, "agentvep", f"/api/account/{ACCOUNT}/login"),
        json={"username": "admin", "password": "sandbox-admin"},
        timeout=10,
    )
    return response.json()["bearer"]


def test_history_accepts_the_original_apps_request_with_a_source(sandbox, installation):
    headers = _consumer_headers(sandbox, installation)
    conversation_id = _open(sandbox, headers).json()[1]["body"]["conversationId"]
    content = ["campaign", "messageRecords", "agentParticipants", "consumerParticipants", "messageStatuses"]

    response = requests.post(
        _url(
            sandbox, "msghist", f"/messaging_history/api/account/{ACCOUNT}/conversations/conversation/search"
        ),
        params={"offset": "0", "limit": "100", "sort": "start:desc", "source": "demo", "__d": "2013"},
        headers={"authorization": f"Bearer {_bearer(sandbox)}"},
        json={"conversationId": conversation_id, "contentToRetrieve": content},
        timeout=10,
    )

    body = response.json()
    assert response.status_code == 200
    assert body["_metadata"]["count"] == 1
    record = body["conversationHistoryRecords"][0]
    assert record["info"]["status"] == "OPEN"
    assert record["consumerParticipants"][0]["firstName"] == "Kim"
    assert record["messageRecords"] == []


def test_history_searches_up_to_100_conversation_ids(sandbox):
    url = _url(
        sandbox, "msghist", f"/messaging_history/api/account/{ACCOUNT}/conversations/conversation/search"
    )
    headers = {"authorization": f"Bearer {_bearer(sandbox)}"}

    params = {"source": "tests"}
    fine = requests.post(
        url, params=params, headers=headers, json={"conversationIds": ["a"] * 100}, timeout=10
    )
    too_many = requests.post(
        url, params=params, headers=headers, json={"conversationIds": ["a"] * 101}, timeout=10
    )

    assert fine.json() == {"_metadata": {"count": 0}, "conversationHistoryRecords": []}
    assert too_many.status_code == 400


def test_history_refuses_a_search_without_source(sandbox):
    # `source` is required (docs/LIVEPERSON.md, 'Messaging history'); the original app sends none.
    url = _url(
        sandbox, "msghist", f"/messaging_history/api/account/{ACCOUNT}/conversations/conversation/search"
    )
    headers = {"authorization": f"Bearer {_bearer(sandbox)}"}

    response = requests.post(url, headers=headers, json={"conversationId": "a"}, timeout=10)

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "source is required"


def test_history_needs_the_login_bearer(sandbox):
    url = _url(
        sandbox, "msghist", f"/messaging_history/api/account/{ACCOUNT}/conversations/conversation/search"
    )

    response = requests.post(url, json={"conversationId": "a"}, timeout=10)

    assert response.status_code == 401


# --- No secret kept -----------------------------------------------------------------------


def test_no_secret_or_token_reaches_the_request_log_or_the_logs(sandbox, installation, caplog):
    caplog.set_level(logging.DEBUG)
    headers = _consumer_headers(sandbox, installation)
    _open(sandbox, headers)
    installation.client_secret += "-wrong"  # a 401 makes django.request log the request too
    _seed_token(sandbox, installation)

    kept = json.dumps(list(RequestLog.objects.values("query", "headers", "body")))
    formatter = JsonFormatter()
    # urllib3's lines here are this test's own client, playing the original app.
    ours = [record for record in caplog.records if not record.name.startswith("urllib3")]
    logged = "\n".join(formatter.format(record) for record in ours)
    for secret in (installation.client_secret, headers["Authorization"], headers["X-LP-ON-BEHALF"]):
        assert secret not in kept
        assert secret not in logged
    assert RequestLog.objects.filter(service="sentinel").first().query["client_secret"] == "********"
