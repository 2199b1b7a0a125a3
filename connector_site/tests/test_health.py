"""GET /health against the real database and channel layer, and with each one down."""

import json

import pytest
import requests

from connector_site.tests.helpers import django_env, run_python

GET_HEALTH = """
import json, django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connector_site.settings")
django.setup()
from django.test import Client
response = Client().get("/health")
print(json.dumps({"status": response.status_code, "body": response.json()}))
"""


@pytest.mark.django_db
def test_it_answers_200_when_postgresql_and_redis_work(daphne_server):
    response = requests.get(f"{daphne_server.url}/health", timeout=5)

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "channel_layer": "ok"},
        "failing": [],
        "degraded": [],
    }


@pytest.mark.django_db
def test_it_refuses_post(client):
    assert client.post("/health").status_code == 405


# A database that always exists; the check only runs SELECT 1.
REACHABLE_DATABASE = "postgres://postgres@127.0.0.1:5432/postgres"


def _health_with(**env_overrides) -> dict:
    result = run_python(GET_HEALTH, django_env(**{"DATABASE_URL": REACHABLE_DATABASE, **env_overrides}))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_it_answers_503_naming_the_database_when_postgresql_is_down():
    answer = _health_with(DATABASE_URL="postgres://postgres@127.0.0.1:9/nothing", DB_POOL_TIMEOUT="1")

    assert answer["status"] == 503
    assert answer["body"]["failing"] == ["database"]
    assert answer["body"]["checks"]["channel_layer"] == "ok"


def test_it_answers_503_naming_the_channel_layer_when_redis_is_down():
    answer = _health_with(REDIS_URL="redis://127.0.0.1:9/0")

    assert answer["status"] == 503
    assert answer["body"]["failing"] == ["channel_layer"]
    assert answer["body"]["checks"]["database"] == "ok"
