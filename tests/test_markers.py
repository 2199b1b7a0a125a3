"""Every collected test is exactly one of unit, integration, browser or bench (the root conftest.py
marks them), so `make test-fast` (`-m unit`) and the other selections miss none and double none."""

import json
import os
import subprocess
import sys

from conftest import BASE_DIR, KINDS

# Prints each collected test's kinds, after the root conftest.py has marked them.
REPORT_PLUGIN = """
import json, os
KINDS = {kinds!r}

def pytest_collection_finish(session):
    kinds = {{i.nodeid: [m.name for m in i.iter_markers() if m.name in KINDS] for i in session.items}}
    with open(os.environ["KINDS_REPORT"], "w") as report:
        json.dump(kinds, report)
"""


def _collected_kinds(tmp_path) -> dict[str, list[str]]:
    """The whole suite's tests (pyproject's testpaths) and their kind markers, collected only."""
    (tmp_path / "kinds_report.py").write_text(REPORT_PLUGIN.format(kinds=KINDS))
    report = tmp_path / "kinds.json"
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "KINDS_REPORT": str(report)}
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    subprocess.run([*command, "-p", "kinds_report"], cwd=BASE_DIR, env=env, check=True, capture_output=True)
    return json.loads(report.read_text())


def test_every_test_has_exactly_one_kind(tmp_path):
    kinds = _collected_kinds(tmp_path)

    assert len(kinds) > 500, "the collection is not the whole suite"
    assert {test: found for test, found in kinds.items() if len(found) != 1} == {}
    # The rules see what they are for: a browser, bench/'s scripts, the live server, processes
    # started through a module's helper, and the rest.
    assert _kinds_in(kinds, "tests/test_login_browser.py") == {"browser"}
    assert _kinds_in(kinds, "webhooks/tests/test_bench.py") == {"bench"}
    assert _kinds_in(kinds, "liveperson/tests/test_login.py") == {"integration"}
    assert _kinds_in(kinds, "worker/tests/test_worker_command.py") == {"integration"}
    assert _kinds_in(kinds, "webhooks/tests/test_ordering.py") == {"unit"}


def _kinds_in(kinds: dict[str, list[str]], path: str) -> set[str]:
    return {kind for test, found in kinds.items() if test.startswith(f"{path}::") for kind in found}
