"""`python -m connector_site.serve`: daphne's command line, with daphne's loop on uvloop."""

import subprocess
import sys

import pytest
import requests

from conftest import free_port, wait_for_http
from connector_site import serve
from connector_site.settings import BASE_DIR


def test_daphne_serves_on_uvloop():
    port = free_port()
    command = [sys.executable, "-m", "connector_site.serve", "-b", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(
        [*command, "connector_site.tests.loop_probe:application"],
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/")
        answer = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=10)

    assert answer.text == "uvloop.Loop"
    assert process.returncode == 0, errors.decode()[-2000:]  # SIGTERM: daphne stops cleanly


def test_the_loop_cannot_be_chosen_once_daphne_made_its_own(monkeypatch):
    monkeypatch.setitem(sys.modules, "daphne.server", object())

    with pytest.raises(RuntimeError, match="before importing daphne"):
        serve.use_uvloop()
