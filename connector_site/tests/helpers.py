"""Run Django in a separate process with a chosen environment."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
# What bin/test sets for the test servers, which production would not.
TEST_ONLY_VARIABLES = [
    "DJANGO_DEBUG",
    "DJANGO_SECURE_SSL_REDIRECT",
    "DJANGO_SECURE_COOKIES",
    "DJANGO_STATIC_MANIFEST",
    "DJANGO_ALLOWED_HOSTS",
    "SANDBOX_ENABLED",
]
PRODUCTION_SECRET = "k3Jq9v-P0zR7_wXy2Lm5Nb8Tc4Hd6Fg1Se0Ua9Yi3Ok7Ej2Wr5Qt8Zx1Cv4Bn6Ml"


def django_env(**overrides) -> dict:
    """The test environment with `overrides` applied; None removes a variable."""
    env = {**os.environ, "DJANGO_ENV_FILE": "/nonexistent"}
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def production_env(**overrides) -> dict:
    """Settings as a production deployment behind nginx would have them."""
    production = {
        **dict.fromkeys(TEST_ONLY_VARIABLES),
        "DJANGO_SECRET_KEY": PRODUCTION_SECRET,
        "DJANGO_ALLOWED_HOSTS": "connector.example.com",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://connector.example.com",
    }
    return django_env(**{**production, **overrides})


def run_python(code: str, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )


def run_manage(*args: str, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
