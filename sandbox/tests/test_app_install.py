"""The sandbox's Account Config answers like LivePerson: feature grants and the
App Install API (docs/LIVEPERSON.md, 'Async Messaging feature check' and
'App Install API')."""

import copy
import json
import threading

import pytest
from django.db import connection

from sandbox import app_install
from sandbox.models import Account, Installation, LoginSession, RequestLog
from sandbox.services import fault_set, sandbox_seed

pytestmark = pytest.mark.django_db

LOGIN = "/sandbox/agentvep/api/account/{}/login"
GRANTS = "/sandbox/ac/api/account/{}/configuration/provision/featureGrants"
LIST = "/sandbox/ac/api/account/{}/configuration/app-install/installations"
ONE = LIST + "/{}"
VERSION = "?v=1.0"
ENDPOINT = "https://connector.example.com/notifications/event"
APP = {
    "client_name": "My app",
    "description": "Connector for the sandbox",
    "enabled": True,
    "grant_types": ["client_credentials"],
    "response_types": ["code", "token", "id_token"],
    "scope": "msg.consumer",
    "logo_uri": "",
    "capabilities": {
        "webhooks": {
            "ms.MessagingEventNotification.ContentEvent": {
                "endpoint": ENDPOINT,
                "headers": [{"header_name": "X-A", "header_value": "1"}],
                "max_retries": 3,
            },
            "ms.MessagingEventNotification.RichContentEvent": {"endpoint": ENDPOINT, "headers": []},
            "ms.MessagingEventNotification.AcceptStatusEvent": {"endpoint": ENDPOINT},
            "ms.MessagingEventNotification.ChatStateEvent": {"endpoint": ENDPOINT},
            "cqm.ExConversationChangeNotification": {"endpoint": ENDPOINT},
            "retry": {"retention_time": 3600},
        },
        "engagement": {
            "design_engagement": False,
            "design_window": False,
            "language_selection": False,
            "entry_point": ["url", "section"],
            "visitor_behavior": ["flow", "cart_items"],
            "target_audience": ["ip"],
            "goal": ["url"],
            "consumer_identity": ["auth"],
        },
        "broadcast": {"enabled": False},
    },
}


@pytest.fixture(autouse=True)
def _seeded():
    sandbox_seed()


@pytest.fixture
def bearer(client):
    return _bearer(client, "90000001")


def _bearer(client, account):
    response = client.post(
        LOGIN.format(account),
        data=json.dumps({"username": "admin", "password": "sandbox-admin"}),
        content_type="application/json",
    )
    return response.json()["bearer"]


def _auth(bearer):
    return {"HTTP_AUTHORIZATION": f"Bearer {bearer}"}


def _app(**changes):
    app = copy.deepcopy(APP)
    app.update(changes)
    return app


def _webhooks(app):
    return app["capabilities"]["webhooks"]


def _create(client, bearer, body=None, *, account="90000001", **headers):
    return client.post(
        LIST.format(account) + VERSION,
        data=json.dumps(body if body is not None else APP),
        content_type="application/json",
        **_auth(bearer),
        **headers,
    )


def _put(client, bearer, client_id, body, *, revision="2", account="90000001", **headers):
    if revision is not None:
        headers["HTTP_IF_MATCH"] = revision
    return client.put(
        ONE.format(account, client_id) + VERSION,
        data=json.dumps(body),
        content_type="application/json",
        **_auth(bearer),
        **headers,
    )


def _delete(client, bearer, client_id, *, revision="2", account="90000001"):
    headers = {"HTTP_IF_MATCH": revision} if revision is not None else {}
    return client.delete(ONE.format(account, client_id) + VERSION, **_auth(bearer), **headers)


def _get(client, bearer, client_id, *, account="90000001"):
    return client.get(ONE.format(account, client_id) + VERSION, **_auth(bearer))


def _list(client, bearer, *, account="90000001"):
    return client.get(LIST.format(account) + VERSION, **_auth(bearer))


def _rejected(response, field):
    """A 400 whose message names the field."""
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["message"]
    return True


# --- Authorization --------------------------------------------------------------


def test_it_requires_a_bearer(client):
    response = client.get(LIST.format("90000001") + VERSION)

    assert response.status_code == 401
    assert response.json()["error"]["responseStatus"] == "UNAUTHORIZED"


def test_it_rejects_an_unknown_bearer(client):
    assert _list(client, "not-a-session").status_code == 401


def test_it_rejects_a_bearer_of_another_account(client):
    qa_bearer = _bearer(client, "le90000002")

    assert _list(client, qa_bearer).status_code == 401


def test_it_rejects_an_expired_session(client, bearer):
    LoginSession.objects.update(expires_at="2000-01-01T00:00:00Z")

    assert _list(client, bearer).status_code == 401


def test_it_rejects_an_ended_session(client, bearer):
    client.post(
        LOGIN.format("90000001").replace("login", "logout"),
        data=json.dumps({"csrf": LoginSession.objects.get().csrf}),
        content_type="application/json",
    )

    assert _list(client, bearer).status_code == 401


def test_it_accepts_the_original_apps_lowercase_authorization_header(client, bearer):
    response = client.get(LIST.format("90000001") + VERSION, headers={"authorization": f"Bearer {bearer}"})

    assert response.status_code == 200


def test_it_requires_the_version_parameter(client, bearer):
    assert client.get(LIST.format("90000001"), **_auth(bearer)).status_code == 400


# --- Feature grants -------------------------------------------------------------


def _grants(client, account, bearer):
    query = "?v=1.0&excludeLegacy=true&jsonProvider=gson"
    return client.get(GRANTS.format(account) + query, HTTP_ACCEPT="application/json", **_auth(bearer))


def _async_messaging(body):
    items = body["appDataList"][0]["accountList"]["accountList"][0]["itemsCollection"]["data"]
    return next(i for i in items if i["compoundFeatureID"] == "Common.Async_Messaging")


def test_feature_grants_answer_async_messaging_on(client, bearer):
    response = _grants(client, "90000001", bearer)

    item = _async_messaging(response.json())
    assert response.status_code == 200
    assert item["value"] == {"value": True}
    assert item["isDeleted"] is False
    assert {"startDate", "endDate"} <= item.keys()


def test_feature_grants_answer_async_messaging_off_for_the_qa_account(client):
    response = _grants(client, "le90000002", _bearer(client, "le90000002"))

    assert _async_messaging(response.json())["value"] == {"value": False}


def test_feature_grants_follow_the_account_setting(client, bearer):
    Account.objects.filter(account_id="90000001").update(async_messaging=False)

    assert _async_messaging(_grants(client, "90000001", bearer).json())["value"]["value"] is False


def test_feature_grants_list_other_features_too(client, bearer):
    body = _grants(client, "90000001", bearer).json()

    items = body["appDataList"][0]["accountList"]["accountList"][0]["itemsCollection"]["data"]
    assert len(items) >= 3


def test_feature_grants_require_a_bearer(client):
    assert client.get(GRANTS.format("90000001") + VERSION).status_code == 401


def test_feature_grants_require_the_version_parameter(client, bearer):
    assert client.get(GRANTS.format("90000001"), **_auth(bearer)).status_code == 400


# --- Create ---------------------------------------------------------------------


def test_create_answers_201_with_the_server_assigned_fields(client, bearer):
    response = _create(client, bearer, HTTP_USER_AGENT="Connector App Hub")

    body = response.json()
    assert response.status_code == 201
    assert response["ac-revision"] == "2"
    assert body["client_name"] == "My app"
    assert body["id"] == body["client_id"]
    assert len(body["client_id"]) >= 32
    assert len(body["client_secret"]) >= 40
    assert isinstance(body["client_id_issued_at"], int)
    assert (body["client_secret_expires_at"], body["deleted"]) == (0, False)


def test_create_keeps_the_whole_object(client, bearer):
    body = _create(client, bearer, _app(redirect_uris=["https://x"], custom={"a": 1})).json()

    assert body["capabilities"] == APP["capabilities"]
    assert (body["redirect_uris"], body["custom"]) == (["https://x"], {"a": 1})


def test_create_gives_each_installation_its_own_credentials(client, bearer):
    first = _create(client, bearer).json()
    second = _create(client, bearer, {**APP, "client_name": "My other app"}).json()

    assert first["client_id"] != second["client_id"]
    assert first["client_secret"] != second["client_secret"]


def test_create_ignores_server_assigned_fields_in_the_body(client, bearer):
    body = _create(client, bearer, _app(client_id="mine", client_secret="s", deleted=True)).json()

    assert body["client_id"] != "mine"
    assert body["client_secret"] != "s"
    assert body["deleted"] is False


def test_create_accepts_a_minimal_body(client, bearer):
    assert _create(client, bearer, {"client_name": "Bare"}).status_code == 201


def test_create_accepts_what_the_seed_ui_sends_without_retry(client, bearer):
    app = _app()
    _webhooks(app)["retry"] = {"retention_time": 0}

    body = _create(client, bearer, app).json()

    assert "retry" not in body["capabilities"]["webhooks"]


def test_create_refuses_get_style_methods(client, bearer):
    response = client.patch(LIST.format("90000001") + VERSION, **_auth(bearer))

    assert response.status_code == 405


# --- Validation -----------------------------------------------------------------


def test_it_rejects_a_body_that_is_not_an_object(client, bearer):
    response = client.post(
        LIST.format("90000001") + VERSION, data="[1]", content_type="application/json", **_auth(bearer)
    )

    assert response.status_code == 400
    assert not Installation.objects.exists()


def test_it_rejects_malformed_json(client, bearer):
    response = client.post(
        LIST.format("90000001") + VERSION, data="{nope", content_type="application/json", **_auth(bearer)
    )

    assert response.status_code == 400


def test_it_rejects_a_missing_client_name(client, bearer):
    app = _app()
    del app["client_name"]

    assert _rejected(_create(client, bearer, app), "client_name")


def test_it_rejects_a_client_name_too_long(client, bearer):
    assert _rejected(_create(client, bearer, _app(client_name="x" * 129)), "client_name")


def test_it_accepts_a_client_name_of_128(client, bearer):
    assert _create(client, bearer, _app(client_name="x" * 128)).status_code == 201


def test_it_rejects_a_description_too_long(client, bearer):
    assert _rejected(_create(client, bearer, _app(description="x" * 257)), "description")


def test_it_rejects_a_display_name_too_long(client, bearer):
    assert _rejected(_create(client, bearer, _app(display_name="x" * 129)), "display_name")


def test_it_rejects_a_logo_uri_too_long(client, bearer):
    assert _rejected(_create(client, bearer, _app(logo_uri="x" * 1025)), "logo_uri")


def test_it_rejects_another_scope(client, bearer):
    assert _rejected(_create(client, bearer, _app(scope="msg.agent")), "scope")


def test_it_rejects_an_unknown_grant_type(client, bearer):
    assert _rejected(_create(client, bearer, _app(grant_types=["password"])), "grant_types")


def test_it_rejects_an_unknown_response_type(client, bearer):
    assert _rejected(_create(client, bearer, _app(response_types=["code id_token"])), "response_types")


def test_it_rejects_enabled_that_is_not_a_boolean(client, bearer):
    assert _rejected(_create(client, bearer, _app(enabled="yes")), "enabled")


@pytest.mark.parametrize(
    "endpoint",
    ["http://connector.example.com/x", "https://h/~x", "https://h/a b", "https://h/(x)", "https://u@h/x", ""],
)
def test_it_rejects_a_webhook_endpoint_the_seed_refuses(client, bearer, endpoint):
    app = _app()
    _webhooks(app)["ms.MessagingEventNotification.ChatStateEvent"]["endpoint"] = endpoint

    assert _rejected(_create(client, bearer, app), "ChatStateEvent.endpoint")


@pytest.mark.parametrize("endpoint", ["https://h:8443/x", "https://h/p?x=1&y=2", "https://h"])
def test_it_accepts_a_webhook_endpoint_the_seed_accepts(client, bearer, endpoint):
    app = _app()
    _webhooks(app)["ms.MessagingEventNotification.ChatStateEvent"]["endpoint"] = endpoint

    assert _create(client, bearer, app).status_code == 201


def test_it_rejects_a_webhook_without_endpoint(client, bearer):
    app = _app()
    _webhooks(app)["cqm.ExConversationChangeNotification"] = {"headers": []}

    assert _rejected(_create(client, bearer, app), "cqm.ExConversationChangeNotification.endpoint")


@pytest.mark.parametrize("retries", [6, -1, "3", True])
def test_it_rejects_bad_max_retries(client, bearer, retries):
    app = _app()
    _webhooks(app)["ms.MessagingEventNotification.ContentEvent"]["max_retries"] = retries

    assert _rejected(_create(client, bearer, app), "max_retries")


@pytest.mark.parametrize("header", [{"header_name": "", "header_value": "1"}, {"header_name": "X"}, "X: 1"])
def test_it_rejects_a_bad_webhook_header(client, bearer, header):
    app = _app()
    _webhooks(app)["ms.MessagingEventNotification.ContentEvent"]["headers"] = [header]

    assert _rejected(_create(client, bearer, app), "headers")


@pytest.mark.parametrize("seconds", [1, 259201, "3600", 3600.5])
def test_it_rejects_a_bad_retention_time(client, bearer, seconds):
    app = _app()
    _webhooks(app)["retry"] = {"retention_time": seconds}

    assert _rejected(_create(client, bearer, app), "retention_time")


@pytest.mark.parametrize("seconds", [2, 9200, 259200])
def test_it_accepts_retention_times_within_the_limits(client, bearer, seconds):
    app = _app()
    _webhooks(app)["retry"] = {"retention_time": seconds}

    assert _create(client, bearer, app).json()["capabilities"]["webhooks"]["retry"] == {
        "retention_time": seconds
    }


def test_it_rejects_an_unknown_webhook_key(client, bearer):
    app = _app()
    _webhooks(app)["ms.MessagingEventNotification.Unknown"] = {"endpoint": ENDPOINT}

    assert _rejected(_create(client, bearer, app), "ms.MessagingEventNotification.Unknown")


def test_it_accepts_the_conversation_webhook_key_of_the_installation_pages_table(client, bearer):
    # The table says ms.MessagingEventNotification.ExConversationChangeNotification, the example
    # cqm.ExConversationChangeNotification (docs/LIVEPERSON.md, 'Installation JSON').
    app = _app()
    key = "ms.MessagingEventNotification.ExConversationChangeNotification"
    _webhooks(app)[key] = _webhooks(app).pop("cqm.ExConversationChangeNotification")

    response = _create(client, bearer, app)

    assert response.status_code == 201, response.content
    assert key in response.json()["capabilities"]["webhooks"]


def test_create_refuses_a_name_another_app_of_the_account_has(client, bearer):
    # "Choose the unique name" (docs/LIVEPERSON.md, 'Installation JSON').
    _create(client, bearer)

    assert _rejected(_create(client, bearer), "client_name")
    assert len(_list(client, bearer).json()) == 1


def test_a_name_is_free_again_once_its_app_is_deleted_and_in_other_accounts(client, bearer):
    created = _create(client, bearer).json()
    revision = _list(client, bearer)["ac-revision"]
    client.delete(ONE.format("90000001", created["id"]) + VERSION, HTTP_IF_MATCH=revision, **_auth(bearer))

    assert _create(client, bearer).status_code == 201
    assert _create(client, _bearer(client, "le90000002"), account="le90000002").status_code == 201


def test_an_update_may_keep_its_own_name_but_not_take_another_apps(client, bearer):
    mine = _create(client, bearer).json()
    theirs = _create(client, bearer, {**APP, "client_name": "Theirs"}).json()
    revision = _list(client, bearer)["ac-revision"]

    kept = _put(client, bearer, mine["id"], {**mine, "description": "Changed"}, revision=revision)
    taken = _put(
        client, bearer, theirs["id"], {**theirs, "client_name": "My app"}, revision=kept["ac-revision"]
    )

    assert kept.status_code == 200, kept.content
    assert _rejected(taken, "client_name")


@pytest.mark.parametrize("version", ["1", "1.0", "1.00"])
def test_version_one_is_accepted_however_written(client, bearer, version):
    response = client.get(LIST.format("90000001") + f"?v={version}", **_auth(bearer))

    assert response.status_code == 200


@pytest.mark.parametrize("version", ["", "2.0", "1.1", "1e0", " 1"])
def test_other_versions_are_refused(client, bearer, version):
    response = client.get(LIST.format("90000001"), {"v": version} if version else {}, **_auth(bearer))

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("entry_point", ["page"]),
        ("visitor_behavior", ["shopping"]),
        ("target_audience", ["shoe_size"]),
        ("goal", ["happiness"]),
        ("consumer_identity", ["anonymous"]),
        ("design_window", "no"),
    ],
)
def test_it_rejects_a_bad_engagement_value(client, bearer, field, value):
    app = _app()
    app["capabilities"]["engagement"][field] = value

    assert _rejected(_create(client, bearer, app), f"capabilities.engagement.{field}")


def test_it_rejects_duplicates_in_an_engagement_list(client, bearer):
    app = _app()
    app["capabilities"]["engagement"]["goal"] = ["url", "url"]

    assert _rejected(_create(client, bearer, app), "capabilities.engagement.goal")


def test_it_rejects_an_engagement_without_a_documented_field(client, bearer):
    app = _app()
    del app["capabilities"]["engagement"]["consumer_identity"]

    assert _rejected(_create(client, bearer, app), "consumer_identity")


def test_it_accepts_every_documented_engagement_value(client, bearer):
    app = _app()
    app["capabilities"]["engagement"]["visitor_behavior"] = [
        "visited_location", "time_on_location", "flow", "engaged_in_session", "about_to_abandon",
        "cart_value", "cart_items", "visitor_error", "viewed_products", "service_activity",
    ]  # fmt: skip
    app["capabilities"]["engagement"]["goal"] = [
        "url", "purchase_total", "num_of_pages", "lead", "service_activity"
    ]  # fmt: skip

    assert _create(client, bearer, app).status_code == 201


# --- List and get ---------------------------------------------------------------


def test_list_answers_the_accounts_installations_with_secrets(client, bearer):
    created = _create(client, bearer).json()

    response = _list(client, bearer)

    assert response.status_code == 200
    assert response["ac-revision"] == "2"
    assert response.json() == [created]


def test_list_is_empty_at_revision_1(client, bearer):
    response = _list(client, bearer)

    assert (response.json(), response["ac-revision"]) == ([], "1")


def test_list_leaves_out_other_accounts_installations(client, bearer):
    qa_bearer = _bearer(client, "le90000002")
    _create(client, qa_bearer, account="le90000002")

    assert _list(client, bearer).json() == []


def test_get_answers_the_installation_and_the_revision(client, bearer):
    created = _create(client, bearer).json()

    response = _get(client, bearer, created["id"])

    assert response.status_code == 200
    assert response["ac-revision"] == "2"
    assert response.json() == created


def test_get_answers_404_for_an_unknown_id(client, bearer):
    response = _get(client, bearer, "no-such-app")

    assert response.status_code == 404
    assert response.json()["error"]["responseStatus"] == "NOT_FOUND"


# --- Update ---------------------------------------------------------------------


def test_update_replaces_the_object_and_bumps_the_revision(client, bearer):
    created = _create(client, bearer).json()

    response = _put(client, bearer, created["id"], {**created, "enabled": False, "description": "New"})

    assert response.status_code == 200
    assert response["ac-revision"] == "3"
    assert (response.json()["enabled"], response.json()["description"]) == (False, "New")
    assert _get(client, bearer, created["id"]).json() == response.json()


def test_update_accepts_the_original_apps_method_override_header(client, bearer):
    created = _create(client, bearer).json()

    response = _put(client, bearer, created["id"], created, HTTP_X_HTTP_METHOD_OVERRIDE="PUT")

    assert response.status_code == 200


def test_update_accepts_a_post_overridden_to_put(client, bearer):
    created = _create(client, bearer).json()

    response = client.post(
        ONE.format("90000001", created["id"]) + VERSION,
        data=json.dumps({**created, "client_name": "Renamed"}),
        content_type="application/json",
        HTTP_IF_MATCH="2",
        HTTP_X_HTTP_METHOD_OVERRIDE="PUT",
        **_auth(bearer),
    )

    assert response.status_code == 200
    assert response.json()["client_name"] == "Renamed"


def test_update_keeps_the_server_assigned_fields(client, bearer):
    created = _create(client, bearer).json()
    forged = {
        **created,
        "client_id": "forged",
        "id": "forged",
        "client_secret": "forged",
        "client_id_issued_at": 1,
        "client_secret_expires_at": 5,
        "deleted": True,
    }

    body = _put(client, bearer, created["id"], forged).json()

    assert body == created


def test_update_without_if_match_answers_428(client, bearer):
    created = _create(client, bearer).json()

    response = _put(client, bearer, created["id"], {**created, "client_name": "X"}, revision=None)

    assert response.status_code == 428
    assert _get(client, bearer, created["id"]).json()["client_name"] == "My app"


def test_update_with_a_stale_revision_answers_412_and_changes_nothing(client, bearer):
    created = _create(client, bearer).json()
    _create(client, bearer, {**APP, "client_name": "Theirs"})  # someone else moves it to revision 3

    response = _put(client, bearer, created["id"], {**created, "client_name": "X"}, revision="2")

    assert response.status_code == 412
    assert response.json()["error"]["message"] == (
        "Revision mismatch: the installation was changed by someone else"
    )
    assert response["ac-revision"] == "3"
    assert _get(client, bearer, created["id"]).json()["client_name"] == "My app"
    assert Account.objects.get(account_id="90000001").revision == 3


def test_update_accepts_a_quoted_revision(client, bearer):
    created = _create(client, bearer).json()

    assert _put(client, bearer, created["id"], created, revision='"2"').status_code == 200


def test_update_validates_the_body(client, bearer):
    created = _create(client, bearer).json()

    response = _put(client, bearer, created["id"], {**created, "client_name": "x" * 129})

    assert _rejected(response, "client_name")
    assert Account.objects.get(account_id="90000001").revision == 2


def test_update_answers_404_for_an_unknown_id(client, bearer):
    assert _put(client, bearer, "no-such-app", APP, revision="1").status_code == 404


def test_update_refuses_patch(client, bearer):
    created = _create(client, bearer).json()

    response = client.patch(ONE.format("90000001", created["id"]) + VERSION, **_auth(bearer))

    assert response.status_code == 405


# --- Delete ---------------------------------------------------------------------


def test_delete_hides_the_installation_and_bumps_the_revision(client, bearer):
    created = _create(client, bearer).json()

    response = _delete(client, bearer, created["id"])

    assert (response.status_code, response.json(), response["ac-revision"]) == (200, {}, "3")
    assert _list(client, bearer).json() == []
    assert _get(client, bearer, created["id"]).status_code == 404
    assert Installation.objects.get().deleted


def test_delete_without_if_match_answers_428(client, bearer):
    created = _create(client, bearer).json()

    assert _delete(client, bearer, created["id"], revision=None).status_code == 428
    assert _get(client, bearer, created["id"]).status_code == 200


def test_delete_with_a_stale_revision_answers_412_and_keeps_it(client, bearer):
    created = _create(client, bearer).json()

    response = _delete(client, bearer, created["id"], revision="1")

    assert (response.status_code, response["ac-revision"]) == (412, "2")
    assert _get(client, bearer, created["id"]).status_code == 200


def test_a_deleted_installation_cannot_be_updated(client, bearer):
    created = _create(client, bearer).json()
    _delete(client, bearer, created["id"])

    assert _put(client, bearer, created["id"], created, revision="3").status_code == 404


# --- Other accounts -------------------------------------------------------------


@pytest.fixture
def qa_installation(client):
    qa_bearer = _bearer(client, "le90000002")
    return _create(client, qa_bearer, account="le90000002").json()


def test_another_account_cannot_read_an_installation(client, bearer, qa_installation):
    assert _get(client, bearer, qa_installation["id"]).status_code == 404


def test_another_account_cannot_update_an_installation(client, bearer, qa_installation):
    response = _put(client, bearer, qa_installation["id"], {**qa_installation, "client_name": "Mine"})

    assert response.status_code == 404
    assert Installation.objects.get().data["client_name"] == "My app"


def test_another_account_cannot_delete_an_installation(client, bearer, qa_installation):
    assert _delete(client, bearer, qa_installation["id"]).status_code == 404
    assert not Installation.objects.get().deleted


def test_each_account_has_its_own_revision(client, bearer, qa_installation):
    assert _list(client, bearer)["ac-revision"] == "1"


# --- Faults and request log -----------------------------------------------------


def test_a_down_fault_answers_503(client, bearer):
    fault_set(service="accountConfigReadWrite", mode="down")

    assert _list(client, bearer).status_code == 503
    assert _grants(client, "90000001", bearer).status_code == 503


def test_a_status_fault_answers_its_status(client, bearer):
    fault_set(service="accountConfigReadWrite", mode="status", status=500)

    assert _create(client, bearer).status_code == 500
    assert not Installation.objects.exists()


def test_requests_are_recorded_with_the_bearer_and_secret_masked(client, bearer):
    created = _create(client, bearer).json()
    _put(client, bearer, created["id"], created)

    record = RequestLog.objects.filter(service="accountConfigReadWrite", method="PUT").get()
    assert record.headers["Authorization"] == "********"
    assert record.body["client_secret"] == "********"
    assert record.status == 200


# --- Concurrent writers ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_writers_with_the_same_revision_cannot_both_win():
    account = Account.objects.get(account_id="90000001")
    installation, revision = app_install.installation_create(account=account, data=APP)
    barrier = threading.Barrier(2)
    outcomes = []

    def write(name):
        barrier.wait()
        try:
            app_install.installation_update(
                account=account,
                client_id=installation.client_id,
                data={**APP, "client_name": name},
                if_match=str(revision),
            )
            outcomes.append("won")
        except app_install.RevisionMismatchError:
            outcomes.append("lost")
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(name,)) for name in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["lost", "won"]
    assert Account.objects.get(pk=account.pk).revision == revision + 1
