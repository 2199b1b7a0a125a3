"""Images a consumer sends (shared/liveperson-api.md §6.3): which files LivePerson
takes, and the preview made on the server so the browser only sends the file."""

import base64
import io
from dataclasses import dataclass
from pathlib import PurePath

from PIL import Image, UnidentifiedImageError

MAX_BYTES = 3 * 1024 * 1024
# Pillow's format -> LivePerson's fileType (upload URL and HostedFile both take these).
FILE_TYPES = {"PNG": "PNG", "JPEG": "JPG", "GIF": "GIF"}
CONTENT_TYPES = {"PNG": "image/png", "JPG": "image/jpeg", "GIF": "image/gif"}
PREVIEW_WIDTH = 100
PREVIEW_MAX_BYTES = 30 * 1024
MAX_CAPTION = 128


class FileRefusedError(ValueError):
    """A file LivePerson would refuse; the message says why, for people."""


@dataclass(frozen=True)
class CheckedImage:
    file_type: str  # PNG, JPG or GIF
    content_type: str
    preview: str  # data:image/jpeg;base64,...


def checked_image(data: bytes) -> CheckedImage:
    """The image's LivePerson type and preview; FileRefusedError when it cannot be sent.

    The type comes from the bytes, not from the name or the browser's claim.
    """
    if not data:
        raise FileRefusedError("The file is empty.")
    if len(data) > MAX_BYTES:
        raise FileRefusedError("The file is larger than 3 MB, LivePerson's limit.")
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise FileRefusedError("Only PNG, JPEG and GIF images can be sent.") from None
    file_type = FILE_TYPES.get(image.format or "")
    if file_type is None:
        raise FileRefusedError("Only PNG, JPEG and GIF images can be sent.")
    return CheckedImage(file_type=file_type, content_type=CONTENT_TYPES[file_type], preview=preview(image))


def preview(image: Image.Image) -> str:
    """A 100-px-wide JPEG data URL under 30 KB (LivePerson's preview limit)."""
    height = max(1, round(image.height * PREVIEW_WIDTH / max(1, image.width)))
    small = image.convert("RGB").resize((PREVIEW_WIDTH, height))
    for quality in (75, 50, 30, 15):
        buffer = io.BytesIO()
        small.save(buffer, format="JPEG", quality=quality)
        url = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
        if len(url) < PREVIEW_MAX_BYTES:
            return url
    raise FileRefusedError("The image is too tall for a preview.")


def caption(filename: str, file_type: str) -> str:
    """The file's name without any path, or a plain one."""
    name = PurePath((filename or "").replace("\\", "/")).name.strip()
    return (name or f"image.{file_type.lower()}")[:MAX_CAPTION]
