"""File sharing of the sandbox (docs/LIVEPERSON.md, 'Send API: file sharing'): the Send API hands
out temporary URLs, swift stores and serves the bytes behind them.

Temp URLs are signed like OpenStack swift's tempurl middleware:
HMAC-SHA1(key, "<METHOD>\\n<expires>\\n<path>") in hex, so a URL signed for PUT
cannot be used to GET, and none works after `temp_url_expires`.
"""

import base64
import functools
import hashlib
import hmac
import io
import secrets
import time
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone
from PIL import Image

from sandbox.models import Account, StoredFile

MAX_FILE_BYTES = 3 * 1024 * 1024
UPLOAD_TYPES = {"JPG", "JPEG", "PNG", "GIF"}
CONTENT_TYPES = {"JPG": "image/jpeg", "JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif"}
CONTAINER = "/v1/AUTH_async-images"


class SwiftError(Exception):
    """A refused file operation; `status` is the HTTP status to answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


# --- Temp URLs -----------------------------------------------------------------


def temp_url_params(method: str, relative_path: str) -> dict:
    """The `queryParams` of an upload or download URL, valid for SANDBOX_SWIFT_TEMP_URL_SECONDS."""
    expires = int(time.time()) + settings.SANDBOX_SWIFT_TEMP_URL_SECONDS
    return {"temp_url_sig": _signature(method, expires, relative_path), "temp_url_expires": str(expires)}


def temp_url_check(method: str, relative_path: str, *, sig: str, expires: str) -> None:
    """Refuse (401, like swift) a missing, wrong or expired signature."""
    try:
        expires_at = int(expires)
    except (TypeError, ValueError):
        raise SwiftError(401, "Temp URL invalid") from None
    if not hmac.compare_digest(_signature(method, expires_at, relative_path), sig or ""):
        raise SwiftError(401, "Temp URL invalid")
    if time.time() >= expires_at:
        raise SwiftError(401, "Temp URL expired")


def _signature(method: str, expires: int, path: str) -> str:
    key = hashlib.sha256(f"sandbox-swift:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, f"{method}\n{expires}\n{path}".encode(), hashlib.sha1).hexdigest()


# --- Files ------------------------------------------------------------------------


def upload_slot_create(*, account: Account, file_type: str, file_size: int) -> StoredFile:
    """Reserve a path for a file the consumer is about to upload."""
    now = datetime.now(UTC)
    stamp = now.strftime("%d-%m-%Y_%H-%M-%S-") + f"{now.microsecond // 1000:03d}"
    name = f"{secrets.token_hex(16)}_uuid_{uuid.uuid4()}_{stamp}.{file_type}"
    return StoredFile.objects.create(
        account=account,
        relative_path=f"{CONTAINER}/{account.account_id}/{name}",
        file_type=file_type,
        declared_size=file_size,
    )


def uploaded_file(*, account: Account, relative_path: str) -> StoredFile | None:
    """A file of the account whose bytes have arrived."""
    return StoredFile.objects.filter(
        account=account, relative_path=relative_path, uploaded_at__isnull=False
    ).first()


def file_put(*, relative_path: str, stream, content_length: int) -> StoredFile:
    """Store the bytes of a reserved path; the temp URL was checked by the caller."""
    stored = StoredFile.objects.filter(relative_path=relative_path).first()
    if stored is None:
        raise SwiftError(404, "No such object")
    if content_length > MAX_FILE_BYTES:
        raise SwiftError(413, f"Files are limited to {MAX_FILE_BYTES} bytes")
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise SwiftError(413, f"Files are limited to {MAX_FILE_BYTES} bytes")
    if len(data) > stored.declared_size:
        raise SwiftError(400, f"The file is larger than the declared {stored.declared_size} bytes")
    stored.content = data
    stored.uploaded_at = timezone.now()
    stored.save(update_fields=["content", "uploaded_at"])
    return stored


def file_get(*, relative_path: str) -> tuple[bytes, str]:
    """The bytes of an uploaded file and their content type."""
    stored = StoredFile.objects.filter(relative_path=relative_path, uploaded_at__isnull=False).first()
    if stored is None:
        raise SwiftError(404, "No such object")
    return bytes(stored.content), CONTENT_TYPES.get(stored.file_type, "application/octet-stream")


# --- The agent page's sample image --------------------------------------------------


@functools.cache
def _sample_png() -> bytes:
    """A small, fixed PNG: what the sandbox agent sends as a file (no upload to parse)."""
    image = Image.new("RGB", (96, 64), (41, 98, 160))
    image.paste((250, 200, 60), (12, 12, 84, 52))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def sample_file_store(*, account: Account) -> StoredFile:
    """The sample image stored for the account, as if uploaded through a temp URL."""
    data = _sample_png()
    stored = upload_slot_create(account=account, file_type="PNG", file_size=len(data))
    stored.content = data
    stored.uploaded_at = timezone.now()
    stored.save(update_fields=["content", "uploaded_at"])
    return stored


def sample_preview() -> str:
    """The sample's preview, a data URL far under LivePerson's 30 KB."""
    return "data:image/png;base64," + base64.b64encode(_sample_png()).decode()
