"""docker-compose.yml and deploy/healthcheck.py (the nginx template: tests/test_deploy_nginx.py)."""

import os
import shutil
import subprocess
import sys
import time

import pytest

from connector_site.tests.helpers import BASE_DIR

SECRETS = {
    "SERVER_NAME": "connector.example.com",
    "DJANGO_SECRET_KEY": "k3Jq9v-P0zR7_wXy2Lm5Nb8Tc4Hd6Fg1Se0Ua9Yi3Ok7Ej2Wr5Qt8Zx1Cv4Bn6Ml",
    "POSTGRES_PASSWORD": "0123456789abcdef",
}


def _compose_command() -> list[str]:
    """`docker compose` (v2), else Debian's docker-compose, which bin/services installs."""
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    return ["docker-compose"]


def _compose_config(tmp_path, env_lines: dict) -> subprocess.CompletedProcess:
    shutil.copy(BASE_DIR / "docker-compose.yml", tmp_path / "docker-compose.yml")
    (tmp_path / ".env").write_text("".join(f"{name}={value}\n" for name, value in env_lines.items()))
    env = {key: value for key, value in os.environ.items() if key not in SECRETS}
    command = [*_compose_command(), "config"]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)


def test_compose_accepts_the_configuration_with_its_secrets(tmp_path):
    result = _compose_config(tmp_path, SECRETS)

    assert result.returncode == 0, result.stderr
    assert (
        "DATABASE_URL: postgres://connector_site:0123456789abcdef@postgres:5432/connector_site"
        in result.stdout
    )
    assert "service_completed_successfully" in result.stdout


@pytest.mark.parametrize("missing", list(SECRETS))
def test_compose_refuses_to_start_without_a_secret(tmp_path, missing):
    result = _compose_config(tmp_path, {k: v for k, v in SECRETS.items() if k != missing})

    assert result.returncode != 0
    assert f"set {missing} in .env" in result.stderr


def _healthcheck(kind: str, **env) -> int:
    command = [sys.executable, str(BASE_DIR / "deploy" / "healthcheck.py"), kind]
    return subprocess.run(command, env={**os.environ, **env}, capture_output=True, timeout=30).returncode


def test_the_worker_is_healthy_while_its_heartbeat_is_fresh(tmp_path):
    heartbeat = tmp_path / "heartbeat"
    heartbeat.touch()

    assert _healthcheck("worker", WORKER_HEARTBEAT_FILE=str(heartbeat)) == 0
    os.utime(heartbeat, (time.time() - 120, time.time() - 120))
    assert _healthcheck("worker", WORKER_HEARTBEAT_FILE=str(heartbeat)) == 1
    assert _healthcheck("worker", WORKER_HEARTBEAT_FILE=str(tmp_path / "missing")) == 1
