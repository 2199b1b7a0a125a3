"""The ASGI application served by a real daphne process (HTTP and WebSocket)."""

import base64
import os
import socket

import pytest
import requests


def _websocket_handshake(server, path: str, origin: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {server.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
    )
    host, port = server.host.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request.encode())
        return sock.recv(1024)


def test_daphne_serves_pages(daphne):
    response = requests.get(f"{daphne.url}/accounts/login/", timeout=5)

    assert response.status_code == 200
    assert "Log in" in response.text


@pytest.mark.django_db
def test_daphne_serves_our_own_static_files(daphne_server):
    response = requests.get(f"{daphne_server.url}/static/vendor/pico/pico.min.css", timeout=5)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/css")


@pytest.mark.django_db
def test_websocket_paths_live_under_ws_and_refuse_anonymous_users(daphne_server):
    answer = _websocket_handshake(daphne_server, "/ws/session/", origin="http://localhost")

    assert answer.startswith(b"HTTP/1.1 403")


@pytest.mark.django_db
def test_an_unknown_websocket_path_is_refused(daphne_server):
    answer = _websocket_handshake(daphne_server, "/not-a-socket/", origin="http://localhost")

    assert not answer.startswith(b"HTTP/1.1 101")
