"""The API under a real daphne: pages walked while rows arrive, an export streamed in chunks, and
the daphne's log free of the token."""

import json
from pathlib import Path

import requests

from accounts import access_tokens
from accounts.models import User
from webhooks import exports
from webhooks.tests import factories
from webhooks.tests.factories import ACCOUNT, OTHER_ACCOUNT


def _token() -> str:
    user = User.objects.create(username=f"{ACCOUNT}:api", lp_account_id=ACCOUNT, lp_login_name="api")
    return access_tokens.create(user, name="daphne", scope="read")[1]


def test_pages_walked_while_webhooks_arrive_see_each_row_once(daphne):
    token = _token()
    old = [factories.delivery(minutes_ago=30 - n) for n in range(7)]
    factories.delivery(account_id=OTHER_ACCOUNT)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    seen, params = [], {"limit": 3}

    while True:
        page = session.get(f"{daphne.url}/api/v1/deliveries", params=params, timeout=10).json()
        seen += [item["id"] for item in page["items"]]
        factories.delivery()  # a webhook lands between every two pages
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]

    assert seen == [row.pk for row in reversed(old)]
    assert token not in Path(daphne.log).read_text()


def test_an_export_streams_chunk_by_chunk_through_daphne(daphne):
    token = _token()
    conv = factories.conversation()
    count = exports.EVENT_CHUNK * 2 + 1  # three chunks
    for _ in range(count):
        factories.event(conv)

    response = requests.get(
        f"{daphne.url}/api/v1/conversations/{conv.pk}/events/export",
        headers={"Authorization": f"Bearer {token}"},
        stream=True,
        timeout=30,
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-ndjson"
    assert response.headers.get("Transfer-Encoding") == "chunked"  # streamed, no length known up front
    seqs = [json.loads(line)["seq"] for line in response.iter_lines() if line]
    assert seqs == list(range(1, count + 1))
