"""Every test file in the repository is collected by `make test` (pyproject's testpaths)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORED = {".venv", ".git", "node_modules", "staticfiles"}


def _test_files() -> list[Path]:
    return [
        path for path in ROOT.rglob("test_*.py") if not IGNORED.intersection(path.relative_to(ROOT).parts)
    ]


def test_every_test_file_is_under_a_testpath():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    testpaths = [ROOT / path for path in options["testpaths"]]

    uncollected = [
        str(path.relative_to(ROOT))
        for path in _test_files()
        if not any(path.is_relative_to(testpath) for testpath in testpaths)
    ]

    assert _test_files(), "no test files found: the walk is broken"
    assert uncollected == [], "add their folders to testpaths in pyproject.toml"
