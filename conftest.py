"""Fixtures shared by every test: the real services, the sandbox LivePerson, users."""

import inspect
import os
import socket
import subprocess
import sys
import tempfile
import time
import types
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests
from django.conf import settings as django_settings
from django.db import connection

from liveperson import csds, transport
from sandbox import services as sandbox_services
from sandbox.models import RequestLog

BASE_DIR = Path(__file__).resolve().parent
ADMIN = {"account_id": "90000001", "login_name": "admin", "password": "sandbox-admin"}
LPA = {"account_id": "90000001", "login_name": "lpa", "password": "sandbox-lpa"}
AGENT = {"account_id": "90000001", "login_name": "agent", "password": "sandbox-agent"}
QA_ADMIN = {"account_id": "le90000002", "login_name": "admin", "password": "sandbox-admin"}


# --- Every test is exactly one kind: unit, integration, browser or bench -----------
# `make test` runs them all; `make test-fast` (the developer's loop) only the unit ones.
# The kind comes from what a test uses, so a new test gets its marker without a thought;
# a test may still name its kind by hand (tests/test_markers.py checks each has one).

KINDS = ("unit", "integration", "browser", "bench")
# Fixtures that serve real sockets or start processes.
INTEGRATION_FIXTURES = {"live_server", "daphne_server", "endpoint", "nginx"}
# Names whose use starts a process (a daphne, the worker, nginx, an interpreter).
PROCESS_NAMES = {"running_daphne", "subprocess", "Popen", "create_subprocess_exec", "create_subprocess_shell"}


def _names_used(function, module) -> set[str]:
    """The global names a test's code uses, through the functions and classes of its module."""
    names: set[str] = set()
    todo, seen = [function], set()
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        members = [obj] if inspect.isfunction(obj) else list(vars(obj).values())
        codes = [member.__code__ for member in members if inspect.isfunction(member)]
        while codes:
            code = codes.pop()
            names.update(code.co_names)
            codes += [const for const in code.co_consts if isinstance(const, types.CodeType)]
        for found in (vars(module).get(name) for name in names):
            if (inspect.isfunction(found) or inspect.isclass(found)) and found.__module__ == module.__name__:
                todo.append(found)
    return names


def kind_of(item) -> str:
    """browser, bench, integration or unit, from the fixtures, helpers and file a test uses."""
    # A parametrized argument may share a fixture's name (`endpoint`): it is not that fixture.
    callspec = getattr(item, "callspec", None)
    fixtures = set(item.fixturenames) - set(callspec.params if callspec else ())
    if "browser" in fixtures:
        return "browser"
    if item.path.name.startswith("test_bench"):  # they run bench/'s scripts
        return "bench"
    if INTEGRATION_FIXTURES.intersection(fixtures):
        return "integration"
    if PROCESS_NAMES.intersection(_names_used(inspect.unwrap(item.function), item.module)):
        return "integration"
    return "unit"


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by these markers
def pytest_collection_modifyitems(items):
    for item in items:
        if not any(item.get_closest_marker(kind) for kind in KINDS):
            item.add_marker(kind_of(item))


@pytest.fixture(autouse=True, scope="session")
def _real_services():
    """The suite claims to test PostgreSQL and Redis: refuse to run without them."""
    engine = django_settings.DATABASES["default"]["ENGINE"]
    layer = django_settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if engine != "django.db.backends.postgresql" or "Redis" not in layer:
        pytest.exit("run the suite with `make test` (PostgreSQL and Redis are required)", returncode=2)


@pytest.fixture(autouse=True, scope="session")
def _close_stray_test_database_sessions(django_db_setup, django_db_blocker):
    """Let the test database be dropped at the end.

    The live server answers the sandbox calls that the app makes while Django's
    test client is mid-request, when the test client has switched off
    close_old_connections; such a thread ends without returning its
    connection, which would keep the test database in use.
    """
    yield
    db = connection.settings_dict
    if not db["NAME"].startswith("test_"):
        return  # no selected test needed the database, so none was created
    # A plain connection: Django's pool may already be closed at this point.
    with psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"], autocommit=True
    ) as plain:
        plain.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _fresh_liveperson_client():
    """No CSDS answer or pooled connection leaks from one test into the next."""
    csds.clear_cache()
    transport.reset_session()
    yield
    csds.clear_cache()
    transport.reset_session()


@pytest.fixture(autouse=True)
def _fresh_webhook_intake():
    """Each test's event loop gets its own writer and listener connections (returned
    here), and no sender allowance, held-bytes count or change budget leaks into the next test."""
    from webhooks import budgets, held, refusals, secrets

    yield
    secrets.close_listeners()
    refusals.reset()
    held.reset_quota()
    budgets.reset()


@dataclass
class Sandbox:
    """The offline LivePerson, served over real HTTP by a test server."""

    url: str
    slowest_delay: float = 0.0

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1]

    def fault(self, mode: str, *, service: str = "*", delay: float = 0, status: int = 500):
        self.slowest_delay = max(self.slowest_delay, delay)
        return sandbox_services.fault_set(service=service, mode=mode, delay_seconds=delay, status=status)

    def requests_to(self, service: str, path_suffix: str = ""):
        received = RequestLog.objects.filter(service=service).order_by("id")
        return [r for r in received if r.path.endswith(path_suffix)]


def webhooks_at_once(settings=None) -> None:
    """Every sandbox account delivers a new app's webhooks at once (LivePerson takes up to
    two minutes: docs/LIVEPERSON.md, 'Webhook activation'), and, given `settings`, the
    product expects that (no waiting for activation, no history polling meanwhile)."""
    sandbox_services.webhook_activation_set(seconds=0)
    if settings is not None:
        settings.LIVEPERSON_WEBHOOK_ACTIVATION_SECONDS = 0


def point_csds_at(settings, host: str) -> None:
    settings.CSDS_DOMAIN = f"{host}/sandbox/csds"
    settings.CSDS_DOMAIN_QA = f"{host}/sandbox/csds-qa"
    settings.LIVEPERSON_SCHEME = "http"


@pytest.fixture
def sandbox(live_server, settings, transactional_db):
    """Seeded sandbox on pytest-django's live server, with CSDS pointing at it.

    New apps get their webhooks at once, not after LivePerson's activation delay, and the
    product is told so (webhooks_at_once); a test of the delay sets both itself."""
    sandbox_services.sandbox_seed()
    webhooks_at_once(settings)
    box = Sandbox(url=live_server.url)
    point_csds_at(settings, box.host)
    yield box
    # A request the client gave up on is still sleeping in the server: let it
    # finish before the next test, or it writes into that test's database.
    time.sleep(box.slowest_delay)


# --- A real daphne process ------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tests_database_url() -> str:
    db = connection.settings_dict
    if not db["NAME"].startswith("test_"):
        return  # no selected test needed the database, so none was created
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def wait_for_http(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow to start on a busy machine
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered at {url}")


@dataclass
class DaphneServer:
    url: str
    process: subprocess.Popen
    log: str = ""

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1]


@contextmanager
def running_daphne(**env_overrides):
    """The ASGI application under a real daphne process, on the test database."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": tests_database_url(),
        "CSDS_DOMAIN": f"127.0.0.1:{port}/sandbox/csds",
        "CSDS_DOMAIN_QA": f"127.0.0.1:{port}/sandbox/csds-qa",
        "LIVEPERSON_SCHEME": "http",
        # The tests' sandbox accounts deliver at once (webhooks_at_once); a test may override.
        "LIVEPERSON_WEBHOOK_ACTIVATION_SECONDS": "0",
        **env_overrides,
    }
    command = [sys.executable, "-m", "connector_site.serve", "-b", "127.0.0.1", "-p", str(port)]
    with tempfile.NamedTemporaryFile(prefix="daphne-", suffix=".log", delete=False) as log:
        process = subprocess.Popen(
            [*command, "connector_site.asgi:application"], cwd=BASE_DIR, env=env, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/health")
        yield DaphneServer(url=url, process=process, log=log.name)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def daphne_server(django_db_setup, django_db_blocker):
    """One daphne for the session, on the test database and Redis.

    Tests using it must be marked `django_db`, or the test database is not created.
    """
    with running_daphne() as server:
        yield server


@pytest.fixture
def daphne(daphne_server, transactional_db) -> DaphneServer:
    """The daphne server with the sandbox accounts seeded for this test, delivering a new
    app's webhooks at once (webhooks_at_once; the daphne process expects that too)."""
    sandbox_services.sandbox_seed()
    webhooks_at_once()
    return daphne_server
