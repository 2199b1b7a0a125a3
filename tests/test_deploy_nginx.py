"""deploy/'s nginx configuration, run for real: Debian's nginx with a self-signed
certificate in front of a real daphne, on loopback. A login, a signed webhook
and WebSocket messages go through it."""

import json
import os
import re
import signal
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from websockets.sync.client import connect

from apps_admin.models import Installation
from bench.nginx import NGINX, SELF_SIGNED, main_config, render_site
from conftest import ADMIN, free_port, running_daphne
from sandbox import services as sandbox_services
from webhooks import payloads
from webhooks.models import Conversation
from webhooks.payloads import encode, headers_for

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Nginx:
    http_port: int
    https_port: int
    certificate: str
    log: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    for _ in range(100):
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {log.read_text()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("nginx did not start listening")


@pytest.fixture
def nginx(tmp_path):
    """Debian's nginx (bin/services installs it) in front of a real daphne."""
    if not os.path.exists(NGINX):
        pytest.fail("install Debian's nginx (bin/services does)")
    prefix = tmp_path
    subprocess.run([SELF_SIGNED, prefix / "certs", "localhost", "127.0.0.1"], check=True, capture_output=True)
    (prefix / "static").mkdir()
    (prefix / "static" / "hello.txt").write_text("static hello\n")
    # Production's settings behind a proxy (bin/test's are for plain http).
    env = {"DJANGO_BEHIND_PROXY": "true", "DJANGO_SECURE_COOKIES": "true", "DJANGO_NUM_PROXIES": "1"}
    with running_daphne(**env) as daphne:
        http_port, https_port = free_port(), free_port()
        site = render_site(prefix, [daphne.host], http_port=http_port, https_port=https_port)
        (prefix / "site.conf").write_text(site)
        (prefix / "nginx.conf").write_text(main_config(prefix, workers="1", connections=256))
        log = prefix / "nginx.log"
        with log.open("w") as output:
            command = [
                NGINX,
                "-p",
                str(prefix),
                "-c",
                str(prefix / "nginx.conf"),
                "-e",
                str(prefix / "error.log"),
            ]
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_for_port(https_port, process, log)
            yield Nginx(http_port, https_port, str(prefix / "certs" / "fullchain.pem"), log)
        finally:
            process.send_signal(signal.SIGQUIT)  # graceful: lets the workers finish
            process.wait(timeout=10)


def install_app() -> None:
    """The app whose webhooks are signed (after the login: the home page's list,
    from the sandbox, would mark an app it does not know as uninstalled)."""
    record = Installation(
        account_id=payloads.ACCOUNT,
        client_id=payloads.CLIENT_ID,
        name="Test app",
        scope="msg.consumer",
        enabled=True,
    )
    record.client_secret = payloads.SECRET
    record.save()


def login(session: requests.Session, nginx: Nginx) -> requests.Response:
    """The login form, over https, with its CSRF token, as a browser submits it."""
    page = session.get(f"{nginx.url}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    form = {"csrfmiddlewaretoken": token, **ADMIN}
    headers = {"Referer": f"{nginx.url}/accounts/login/", "Origin": nginx.url}
    return session.post(f"{nginx.url}/accounts/login/", data=form, headers=headers, timeout=30)


def post_webhook(nginx: Nginx, sequence: int) -> requests.Response:
    body = encode(payloads.messaging(payloads.content(sequence)))
    return requests.post(
        f"{nginx.url}/notifications/event",
        data=body,
        headers=headers_for(body),
        verify=nginx.certificate,
        timeout=10,
    )


def test_a_login_a_signed_webhook_and_websocket_messages_pass_through_nginx(nginx):
    sandbox_services.sandbox_seed()
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would win over `verify`
    session.verify = nginx.certificate  # the self-signed certificate, verified

    logged_in = login(session, nginx)

    assert logged_in.status_code == 200, logged_in.text[:500]
    assert logged_in.url == f"{nginx.url}/"  # redirected home, over https
    assert session.cookies.get("sessionid")
    assert all(cookie.secure for cookie in session.cookies)  # Django saw https through nginx
    install_app()

    webhook = post_webhook(nginx, 1)

    assert webhook.status_code == 200, webhook.text
    assert webhook.json() == {"status": "accepted", "events": 1}

    conversation = Conversation.objects.get()
    context = ssl.create_default_context(cafile=nginx.certificate)
    socket_url = nginx.url.replace("https://", "wss://") + f"/ws/conversations/{conversation.pk}/events/"
    headers = {"Origin": nginx.url, "Cookie": f"sessionid={session.cookies['sessionid']}"}
    with connect(socket_url, ssl=context, additional_headers=headers, open_timeout=10) as websocket:
        caught_up = json.loads(websocket.recv(timeout=10))
        assert [event["seq"] for event in caught_up["events"]] == [1]

        assert post_webhook(nginx, 2).status_code == 200

        live = json.loads(websocket.recv(timeout=10))
        assert [event["seq"] for event in live["events"]] == [2]


def test_http_is_redirected_to_https(nginx):
    response = requests.get(
        f"http://127.0.0.1:{nginx.http_port}/apps/?page=2", allow_redirects=False, timeout=10
    )

    assert response.status_code == 301
    assert response.headers["Location"] == "https://127.0.0.1/apps/?page=2"


def test_static_files_are_served_by_nginx(nginx):
    response = requests.get(f"{nginx.url}/static/hello.txt", verify=nginx.certificate, timeout=10)

    assert response.text == "static hello\n"
    assert "public" in response.headers["Cache-Control"]


def test_a_webhook_over_the_size_limit_is_refused_by_nginx(nginx):
    body = b"x" * (1024 * 1024 + 1)

    response = requests.post(
        f"{nginx.url}/notifications/event", data=body, verify=nginx.certificate, timeout=10
    )

    assert response.status_code == 413


def test_the_request_id_reaches_the_app_and_no_query_string_is_logged(nginx):
    response = requests.get(
        f"{nginx.url}/accounts/login/?token=secret-value", verify=nginx.certificate, timeout=10
    )

    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's $request_id, passed through
    time.sleep(0.2)  # nginx writes its access line after answering
    access = nginx.log.read_text()
    assert f"request_id={request_id}" in access
    assert "secret-value" not in access
