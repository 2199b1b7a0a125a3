"""What the login page tells and where it puts the focus (issue 17, item 6)."""

import re
from pathlib import Path

from django.conf import settings

from conftest import ADMIN

README = Path(settings.BASE_DIR) / "README.md"


def _autofocused(html: str) -> list[str]:
    return re.findall(r'<input[^>]*name="(\w+)"[^>]*autofocus', html)


def test_the_account_id_has_the_focus_at_first(client, db):
    assert _autofocused(client.get("/accounts/login/").content.decode()) == ["account_id"]


def test_after_a_wrong_password_the_password_has_the_focus(client, sandbox):
    response = client.post("/accounts/login/", {**ADMIN, "password": "wrong"})

    html = response.content.decode()
    assert "Wrong account, login name or password." in html
    assert _autofocused(html) == ["password"]


def test_the_page_and_the_readme_give_the_login_timeout_the_app_applies(client, db):
    seconds = f"{settings.LIVEPERSON_READ_TIMEOUT:g}"

    html = client.get("/accounts/login/").content.decode()

    assert f"LivePerson has up to {seconds} s to answer" in html
    readme = README.read_text()
    assert f"the app gives up after {seconds} s (LIVEPERSON_READ_TIMEOUT)" in readme
    assert re.search(
        rf"`LIVEPERSON_CONNECT_TIMEOUT`, `LIVEPERSON_READ_TIMEOUT` \| [\d.]+, {seconds} \|", readme
    )
