"""Images a consumer sends (docs/LIVEPERSON.md, 'Send API: file sharing'): which
files LivePerson takes, and the preview made on the server so the browser only sends the file.

A 3 MB file can declare far more pixels than it holds (rows of zeros compress a
thousandfold) and Pillow allocates the whole image before decoding a byte of it,
so every limit below is checked on the header, before any pixel is decoded.
Each can be changed with the setting named beside it.
"""

import base64
import io
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from PIL import Image, JpegImagePlugin, PngImagePlugin

MAX_BYTES = 3 * 1024 * 1024
# Pillow's format -> LivePerson's fileType (upload URL and HostedFile both take these).
FILE_TYPES = {"PNG": "PNG", "JPEG": "JPG", "GIF": "GIF"}
CONTENT_TYPES = {"PNG": "image/png", "JPG": "image/jpeg", "GIF": "image/gif"}
PREVIEW_WIDTH = 100
PREVIEW_MAX_BYTES = 30 * 1024
# A 1-px-wide image would otherwise need a preview millions of pixels tall.
PREVIEW_MAX_HEIGHT = 20 * PREVIEW_WIDTH
MAX_CAPTION = 128

# CHAT_IMAGE_MAX_PIXELS: a 24-megapixel camera's 6000x4000 fits, and so do a
# phone's 12 and any screenshot; larger photos do not fit in 3 MB anyway.
MAX_PIXELS = 25_000_000
# CHAT_IMAGE_MAX_DECODE_BYTES: the memory one upload may take to be decoded and
# previewed (see _decode_bytes); uploads run in the thread pool, several at once.
MAX_DECODE_BYTES = 64 * 1024 * 1024
# CHAT_IMAGE_MAX_FRAMES: half a minute of animation at 30 frames a second.
MAX_FRAMES = 1000
# Modes Pillow resamples as they are; the others are converted, full size, first.
NATIVE_RESIZE = {"L", "RGB", "CMYK"}
# JPEG samples per pixel for JpegImagePlugin.get_sampling's 4:4:4, 4:2:2 and 4:2:0.
JPEG_SAMPLES = {0: 3, 1: 2, 2: 1.5}

NOT_AN_IMAGE = "Only PNG, JPEG and GIF images can be sent."
UNREADABLE = "The image is damaged or cannot be read."
TOO_TALL = "The image is too tall for a preview."


def _limit(setting: str, default: int) -> int:
    return getattr(settings, setting, default)


# Pillow's own check, for anything that opens an image here: it warns above this
# and refuses twice above it. LOAD_TRUNCATED_IMAGES stays False, so a truncated
# file or an oversized PNG text chunk (PngImagePlugin.MAX_TEXT_CHUNK) is an error;
# a preview needs none of a PNG's text, so a few such chunks are plenty.
Image.MAX_IMAGE_PIXELS = _limit("CHAT_IMAGE_MAX_PIXELS", MAX_PIXELS)
PngImagePlugin.MAX_TEXT_MEMORY = 4 * PngImagePlugin.MAX_TEXT_CHUNK


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
    image = _opened(data)
    file_type = FILE_TYPES.get(image.format or "")
    if file_type is None:
        raise FileRefusedError(NOT_AN_IMAGE)
    _check_header(image)
    return CheckedImage(file_type=file_type, content_type=CONTENT_TYPES[file_type], preview=preview(image))


def _opened(data: bytes) -> Image.Image:
    """The image with only its header read."""
    try:
        return Image.open(io.BytesIO(data), formats=list(FILE_TYPES))
    except Image.DecompressionBombError:
        raise FileRefusedError(_too_many_pixels()) from None
    except Image.UnidentifiedImageError:
        raise FileRefusedError(NOT_AN_IMAGE) from None
    # Pillow's plugins raise these for damaged headers, ValueError for text chunks over its limits.
    except (OSError, ValueError, SyntaxError):
        raise FileRefusedError(UNREADABLE) from None


def _check_header(image: Image.Image) -> None:
    if image.width * image.height > _limit("CHAT_IMAGE_MAX_PIXELS", MAX_PIXELS):
        raise FileRefusedError(_too_many_pixels())
    # A GIF's frames are counted by skipping through the file, without decoding them.
    limit = _limit("CHAT_IMAGE_MAX_FRAMES", MAX_FRAMES)
    if getattr(image, "n_frames", 1) > limit:
        raise FileRefusedError(f"The image has more than {limit} frames, this site's limit.")


def _too_many_pixels() -> str:
    megapixels = _limit("CHAT_IMAGE_MAX_PIXELS", MAX_PIXELS) / 1e6
    return f"The image is larger than {megapixels:g} megapixels, this site's limit."


def preview(image: Image.Image) -> str:
    """A 100-px-wide JPEG data URL under 30 KB (LivePerson's preview limit).

    Only the first frame of an animation is decoded.
    """
    small = _small(image, _preview_size(image))
    for quality in (75, 50, 30, 15):
        buffer = io.BytesIO()
        small.save(buffer, format="JPEG", quality=quality)
        url = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
        if len(url) < PREVIEW_MAX_BYTES:
            return url
    raise FileRefusedError(TOO_TALL)


def _preview_size(image: Image.Image) -> tuple[int, int]:
    height = max(1, round(image.height * PREVIEW_WIDTH / max(1, image.width)))
    if height > PREVIEW_MAX_HEIGHT:
        raise FileRefusedError(TOO_TALL)
    return PREVIEW_WIDTH, height


def _small(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`image` decoded and resized to `size`, in RGB, within the decoding budget."""
    coefficients = _jpeg_coefficient_bytes(image)  # of the full size, which draft() changes
    # JPEG only: the decoder scales by 1/2 to 1/8 as it decodes, to no less than `size`.
    image.draft("RGB", size)
    limit = _limit("CHAT_IMAGE_MAX_DECODE_BYTES", MAX_DECODE_BYTES)
    if coefficients + _decode_bytes(image) > limit:
        raise FileRefusedError(
            f"The image would take more than {limit // 2**20} MB of memory to read, this site's limit."
        )
    try:
        image.load()
    except (OSError, ValueError, SyntaxError):
        raise FileRefusedError(UNREADABLE) from None
    if image.mode not in NATIVE_RESIZE:
        image = image.convert("RGB")
    # reducing_gap: shrink by whole factors first, which is cheap, then resample.
    return image.resize(size, reducing_gap=3.0).convert("RGB")


def _decode_bytes(image: Image.Image) -> int:
    """What Pillow allocates to decode `image` at its (drafted) size and resize it.

    Pillow keeps grey and palette pixels in 1 byte and every other mode in 4; the
    modes it cannot resample as they are take a 4-byte full-size copy as well.
    """
    pixels = image.width * image.height
    decoded = pixels * (1 if image.mode in ("1", "L", "P") else 4)
    return decoded + (0 if image.mode in NATIVE_RESIZE else pixels * 4)


def _jpeg_coefficient_bytes(image: Image.Image) -> int:
    """What libjpeg may hold whatever the scale: a progressive file, or one whose scans
    each carry some of the colours, keeps every coefficient of the full image (2 bytes
    a sample), and the header does not say which kind the file is."""
    if image.format != "JPEG":
        return 0
    samples = JPEG_SAMPLES.get(JpegImagePlugin.get_sampling(image), len(image.getbands()))
    return int(image.width * image.height * samples * 2)


def caption(filename: str, file_type: str) -> str:
    """The file's name without any path, or a plain one."""
    name = PurePath((filename or "").replace("\\", "/")).name.strip()
    return (name or f"image.{file_type.lower()}")[:MAX_CAPTION]
