"""LivePerson's manifest rules as pure functions (docs/LIVEPERSON.md, 'Installation JSON'
and 'What the original app fills in')."""

import pytest

from apps_admin import manifest


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://h:8443/x",
        "https://h/p?x=1&y=2",
        "https://example.com",
        "https://a.b-c.io/notifications/event",
    ],
)
def test_it_accepts_the_endpoints_liveperson_accepts(endpoint):
    assert manifest.ENDPOINT_PATTERN.match(endpoint)


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://h/x",
        "https://h/~user",
        "https://h/a b",
        "https://h/(x)",
        "https://u@h/",
        "https://-h/",
        "ftp://h",
    ],
)
def test_it_rejects_the_endpoints_liveperson_rejects(endpoint):
    assert not manifest.ENDPOINT_PATTERN.match(endpoint)


@pytest.mark.parametrize(
    ("seconds", "label"),
    [
        (0, "Off (no retry by time)"),
        (3600, "1 hour"),
        (9200, "2 h 33 min 20 s"),  # the original app called this "2 hours"
        (14400, "4 hours"),
        (24200, "6 h 43 min 20 s"),  # ... and this "12 hours"
        (86400, "1 day"),
        (259200, "3 days"),
    ],
)
def test_retention_labels_say_what_the_value_is(seconds, label):
    assert manifest.retention_label(seconds) == label


def test_a_new_installation_has_what_the_original_app_fills_in():
    body = manifest.new_installation(name="My app", description="Demo", endpoint="https://h/e")

    assert body["enabled"] is True
    assert body["grant_types"] == ["client_credentials"]
    assert body["scope"] == "msg.consumer"
    assert body["logo_uri"] == ""
    assert set(body["capabilities"]["webhooks"]) == set(manifest.WEBHOOK_TYPES)
    assert body["capabilities"]["webhooks"][manifest.WEBHOOK_TYPES[0]] == {
        "endpoint": "https://h/e",
        "headers": [],
    }
    engagement = body["capabilities"]["engagement"]
    assert engagement["entry_point"] == ["url", "section"]
    assert len(engagement["visitor_behavior"]) == 10
    assert len(engagement["target_audience"]) == 16
    assert len(engagement["goal"]) == 5
    assert engagement["consumer_identity"] == ["auth"]
    assert engagement["design_engagement"] is False


def test_a_new_installation_without_endpoint_has_no_webhooks():
    body = manifest.new_installation(name="n", description="d")

    assert body["capabilities"]["webhooks"] == {}


def test_all_endpoints_keeps_each_types_headers_and_the_retry_policy():
    webhooks = {
        manifest.WEBHOOK_TYPES[0]: {
            "endpoint": "https://old/",
            "headers": [{"header_name": "X-A", "header_value": "1"}],
        },
        "retry": {"retention_time": 3600},
    }

    changed = manifest.all_endpoints(webhooks, "https://new/notifications/event")

    assert changed[manifest.WEBHOOK_TYPES[0]]["headers"] == [{"header_name": "X-A", "header_value": "1"}]
    assert {changed[kind]["endpoint"] for kind in manifest.WEBHOOK_TYPES} == {
        "https://new/notifications/event"
    }
    assert changed["retry"] == {"retention_time": 3600}


def test_is_demo_needs_every_endpoint_on_this_site():
    demo = "https://site:8443/notifications/event"
    installation = {"capabilities": {"webhooks": manifest.all_endpoints({}, demo)}}

    assert manifest.is_demo(installation, demo)
    assert not manifest.is_demo(installation, "https://site/notifications/event")
    del installation["capabilities"]["webhooks"][manifest.WEBHOOK_TYPES[2]]
    assert not manifest.is_demo(installation, demo)
