"""Images that would cost the server far more to decode than their size says:
refused on their header, with a message for people, or previewed cheaply.

Memory is measured in a child process from its peak resident size, because
tracemalloc does not see what Pillow and its codecs allocate in C.
"""

import base64
import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from chat import files
from chat.tests.conftest import start

MB = 1024 * 1024
RED, GREEN, BLUE = (220, 20, 20), (20, 220, 20), (20, 20, 220)

# Runs chat.files with its default limits on the bytes of stdin, and prints the
# outcome and how far the resident size rose above where it was. Linux only: it
# resets the peak (VmHWM) through /proc/self/clear_refs; ru_maxrss would not do,
# as Linux carries it over from the parent across fork and exec.
MEASURE = """
import io, json, sys
from django.conf import settings
settings.configure()
from PIL import Image
from chat import files

def kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))

data = sys.stdin.buffer.read()
for fmt in ("PNG", "JPEG", "GIF"):  # load the codecs before measuring
    warm_up = io.BytesIO()
    Image.new("RGB", (64, 64)).save(warm_up, fmt)
    files.checked_image(warm_up.getvalue())
before = kib("VmRSS")
with open("/proc/self/clear_refs", "w") as clear_refs:
    clear_refs.write("5")
try:
    files.checked_image(data)
    outcome = "accepted"
except files.FileRefusedError as exc:
    outcome = str(exc)
print(json.dumps([outcome, (kib("VmHWM") - before) * 1024]))
"""


def _peak_growth(data: bytes) -> tuple[str, int]:
    """(outcome, bytes the peak resident size grew by) of checking `data` in a fresh process."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", MEASURE], input=data, capture_output=True, cwd=root, timeout=60, check=True
    )
    outcome, growth = json.loads(done.stdout)
    return outcome, growth


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _black_png(width: int, height: int, *, channels: int = 3, text_chunks: tuple[bytes, ...] = ()) -> bytes:
    """A PNG of black pixels written by hand, its rows compressed one by one as an
    encoder would: the file stays small whatever size its header declares."""
    color_type = {1: 0, 3: 2, 4: 6}[channels]
    row = bytes(1 + width * channels)  # filter type 0, then the pixels
    compressor = zlib.compressobj(6)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0))
        + b"".join(_chunk(b"zTXt", b"Comment\0\0" + zlib.compress(text)) for text in text_chunks)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def _gif_of_frames(count: int) -> bytes:
    """A 1x1 GIF of `count` frames, each as small as a frame can be."""
    screen = b"GIF89a" + struct.pack("<HH", 1, 1) + bytes([0x80, 0, 0]) + b"\0\0\0\xff\xff\xff"
    frame = b"," + struct.pack("<HHHH", 0, 0, 1, 1) + b"\0" + b"\x02\x02\x44\x01\x00"
    return screen + frame * count + b";"


def _saved(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _photo(width: int, height: int) -> Image.Image:
    """Something with gradients, so JPEG has real work to do."""
    return Image.radial_gradient("L").resize((width, height)).convert("RGB")


def _preview(checked: files.CheckedImage) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(checked.preview.split(",", 1)[1]))).convert("RGB")


def _centre(image: Image.Image) -> tuple[int, int, int]:
    return image.getpixel((image.width // 2, image.height // 2))


def _close_to(colour, expected) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(colour, expected, strict=True))


@pytest.fixture(scope="module")
def png_bomb() -> bytes:
    """The reported file: a PNG under 1 MB declaring 13000x13000 pixels."""
    return _black_png(13000, 13000)


# --- Through the upload ------------------------------------------------------------


@pytest.fixture
def chat(admin, chat_app):
    return start(admin, chat_app, first_message="")


@pytest.mark.django_db(transaction=True)
def test_the_upload_refuses_a_png_bomb_with_a_clear_message(admin, chat, sandbox, png_bomb):
    before = len(sandbox.requests_to("asyncMessagingEnt"))
    upload = SimpleUploadedFile("bomb.png", png_bomb, "image/png")

    response = admin.post(f"/chat/{chat.pk}/files/", {"file": upload})

    assert response.status_code == 400
    assert response.json() == {"error": "The image is larger than 25 megapixels, this site's limit."}
    assert len(sandbox.requests_to("asyncMessagingEnt")) == before


# --- Refused on the header -----------------------------------------------------------


def test_refusing_a_png_bomb_allocates_little_memory(png_bomb):
    assert len(png_bomb) < MB

    outcome, growth = _peak_growth(png_bomb)

    assert outcome == "The image is larger than 25 megapixels, this site's limit."
    assert growth < 20 * MB


def test_it_refuses_an_image_just_over_the_pixel_limit():
    data = _black_png(6000, 4500)  # 27 MP: Pillow only warns below twice its limit

    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(files.FileRefusedError) as refused:
        files.checked_image(data)

    assert str(refused.value) == "The image is larger than 25 megapixels, this site's limit."


def test_pillow_checks_the_same_pixel_limit():
    limit = getattr(settings, "CHAT_IMAGE_MAX_PIXELS", files.MAX_PIXELS)

    assert limit == Image.MAX_IMAGE_PIXELS


def test_it_refuses_a_png_that_would_take_too_much_memory_before_decoding_it():
    data = _black_png(5000, 4000, channels=4)  # 20 MP of RGBA: 80 MB, and as much again to resize

    outcome, growth = _peak_growth(data)

    assert outcome == "The image would take more than 64 MB of memory to read, this site's limit."
    assert growth < 20 * MB


def test_it_refuses_an_image_too_tall_for_a_preview():
    with pytest.raises(files.FileRefusedError, match="too tall for a preview"):
        files.checked_image(_black_png(1, 20000))


def test_it_refuses_a_gif_with_too_many_frames():
    with pytest.raises(files.FileRefusedError) as refused:
        files.checked_image(_gif_of_frames(files.MAX_FRAMES + 1))

    assert str(refused.value) == "The image has more than 1000 frames, this site's limit."


@pytest.mark.parametrize(
    "texts",
    [
        (bytes(2 * MB),),  # one chunk over PngImagePlugin.MAX_TEXT_CHUNK
        (bytes(MB - 64),) * 5,  # each under it, together over MAX_TEXT_MEMORY
    ],
)
def test_it_refuses_a_png_whose_text_inflates_beyond_pillows_limits(texts):
    data = _black_png(10, 10, text_chunks=texts)
    assert len(data) < 30 * 1024

    with pytest.raises(files.FileRefusedError) as refused:
        files.checked_image(data)

    assert str(refused.value) == "The image is damaged or cannot be read."


def test_it_refuses_a_truncated_image():
    data = _saved(_photo(400, 300), "PNG")

    with pytest.raises(files.FileRefusedError) as refused:
        files.checked_image(data[: len(data) // 2])

    assert str(refused.value) == "The image is damaged or cannot be read."
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


# --- Previewed cheaply ---------------------------------------------------------------


def test_a_normal_image_still_gets_its_preview():
    checked = files.checked_image(_saved(Image.new("RGB", (400, 300), RED), "PNG"))

    assert checked.file_type == "PNG"
    assert _preview(checked).size == (100, 75)
    assert _close_to(_centre(_preview(checked)), RED)


def test_a_big_jpeg_is_previewed_in_draft_mode():
    data = _saved(_photo(4000, 3000), "JPEG", quality=90)  # 48 MB once decoded in full

    outcome, growth = _peak_growth(data)

    assert outcome == "accepted"
    assert growth < 8 * MB


def test_a_progressive_phone_photo_fits_the_memory_budget():
    data = _saved(_photo(4000, 3000), "JPEG", quality=90, progressive=True, subsampling="4:2:0")

    checked = files.checked_image(data)

    assert checked.file_type == "JPG"


def test_an_animated_gif_is_previewed_from_its_first_frame():
    red, green, blue = (Image.new("RGB", (60, 40), colour) for colour in (RED, GREEN, BLUE))
    data = _saved(red, "GIF", save_all=True, append_images=[green, blue], duration=100)

    checked = files.checked_image(data)

    assert checked.file_type == "GIF"
    assert _close_to(_centre(_preview(checked)), RED)
