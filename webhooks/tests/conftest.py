import pytest
from channels.testing import HttpCommunicator

from apps_admin.models import Installation
from connector_site.asgi import application
from webhooks import ingest, records, secrets
from webhooks.notifications import parse
from webhooks.payloads import ACCOUNT, CLIENT_ID, SECRET, encode, headers_for

WEBHOOK_PATH = "/notifications/event"


@pytest.fixture(autouse=True)
def _no_cached_secrets():
    secrets.clear_cache()
    yield
    secrets.clear_cache()


@pytest.fixture(autouse=True)
def _close_writers():
    """Each test's event loop gets its own writer thread and connection: return them."""
    yield
    ingest.close_writers()


@pytest.fixture
def installation(transactional_db):
    record = Installation(
        account_id=ACCOUNT, client_id=CLIENT_ID, name="Test app", scope="msg.consumer", enabled=True
    )
    record.client_secret = SECRET
    record.save()
    return record


async def post(body: bytes, headers: dict | None = None, method: str = "POST"):
    """POST raw bytes to the webhook path through the full ASGI application."""
    header_list = [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    communicator = HttpCommunicator(application, method, WEBHOOK_PATH, body=body, headers=header_list)
    return await communicator.get_response(timeout=10)


async def post_signed(notification: dict, **sign_options):
    body = encode(notification)
    return await post(body, headers_for(body, **sign_options))


@pytest.fixture
def session_cookie(client, transactional_db):
    """A logged-in user of account 90000001, as a session cookie value."""
    from accounts.models import User

    user = User.objects.create(username="90000001:admin", lp_account_id=ACCOUNT, lp_login_name="admin")
    client.force_login(user)
    return client.cookies["sessionid"].value


def accepted_record(notification: dict) -> records.DeliveryRecord:
    """The receiver's record of a signed, accepted delivery of `notification`."""
    notification_type, changes = parse(encode(notification))
    return records.DeliveryRecord(
        status=200,
        accepted=True,
        reason="accepted",
        account_id=ACCOUNT,
        client_id=CLIENT_ID,
        notification_type=notification_type,
        changes=changes,
    )
