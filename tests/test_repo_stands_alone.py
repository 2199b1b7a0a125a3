"""The repository stands on its own: no comment, docstring, template, script or document points
at a section sign reference (a section of some summary) or at a file in the team's "shared"
folder: neither is in the repository.

LivePerson's facts live in docs/LIVEPERSON.md and docs/WEBHOOKS.md, benchmark figures in
docs/PERFORMANCE.md; point there, by section heading, e.g. "docs/LIVEPERSON.md, 'Send API: SEND'".
A standard's section is written out: "RFC 9110, section 9.2.2".
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Written so that this file does not match itself.
SECTION_SIGN = "\u00a7"
# The shared folder at the start of a path (not a folder of that name inside another path, as in
# the demo app's web/app/...), or the team's checkout of it.
SHARED_PATH = re.compile(r"(?<![\w./-])" + "shared" + r"/|/work/" + "shared")

# Source, templates, static files, docs and the build and deploy files.
SUFFIXES = {".py", ".sql", ".js", ".mjs", ".css", ".html", ".txt", ".md", ".toml", ".cfg", ".ini"}
SUFFIXES |= {".in", ".yml", ".yaml", ".json", ".sh", ".conf"}
NAMES = {"Makefile", "Dockerfile"}
# Not ours or not source: environments, caches, collected static files, third-party code,
# benchmark output.
SKIPPED_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache"}
SKIPPED_PATHS = {"staticfiles", "static/vendor", "bench/results", "test-results"}
SKIPPED_PATHS |= {"deploy/certs", "deploy/acme"}


def _scanned_files():
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT)
        if any(part in SKIPPED_DIRS for part in relative.parts):
            continue
        if any(relative.as_posix().startswith(skipped + "/") for skipped in SKIPPED_PATHS):
            continue
        if not path.is_file():
            continue
        in_bin = relative.parts[0] == "bin" and len(relative.parts) == 2
        if path.suffix in SUFFIXES or path.name in NAMES or in_bin:
            yield relative


def _offending_lines() -> list[str]:
    found = []
    for relative in _scanned_files():
        text = (ROOT / relative).read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if SECTION_SIGN in line or SHARED_PATH.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_no_section_sign_references_or_shared_paths():
    assert _offending_lines() == [], (
        "point at docs/LIVEPERSON.md, docs/WEBHOOKS.md or docs/PERFORMANCE.md instead"
    )


def test_the_scan_sees_the_repository():
    scanned = {path.as_posix() for path in _scanned_files()}

    assert {"docs/LIVEPERSON.md", "liveperson/send_api.py", "sandbox/dispatcher.py"} <= scanned
    assert any(path.startswith("templates/") for path in scanned)
    assert any(path.startswith("static/") and path.endswith(".js") for path in scanned)
    assert not any(path.startswith((".venv/", "static/vendor/")) for path in scanned)


def test_the_patterns_catch_what_they_are_for():
    shared = "shared" + "/"
    assert SHARED_PATH.search(f"the summary ({shared}liveperson-api.md)")
    assert SHARED_PATH.search(f"`{shared}performance-anchors.md`")
    assert SHARED_PATH.search(f"see /work/{shared}liveperson-api.md")
    assert not SHARED_PATH.search(f"demo app, `web/app/{shared}mocks/*.json`")
    assert not SHARED_PATH.search("shared by every process")
    assert SECTION_SIGN + "6.1" not in "docs/LIVEPERSON.md, 'Send API: CONVERSATION'"
