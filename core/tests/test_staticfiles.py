"""collectstatic with the production storage: every JS module import names a hashed file."""

import re

from django.core.management import call_command

IMPORT = re.compile(r"""(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\s*["']([^"']+)["']""")
HASHED = re.compile(r"\.[0-9a-f]{12}\.js$")


def test_collected_modules_import_only_hashed_names(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "core.staticfiles.StaticStorage"}}

    call_command("collectstatic", "--noinput", verbosity=0)

    ours = [p for p in tmp_path.rglob("*.js") if HASHED.search(p.name) and "admin" not in p.parts]
    imports = {
        path.relative_to(tmp_path): [a or b for a, b in IMPORT.findall(path.read_text())] for path in ours
    }
    assert any(imports.values()), "no module imports found: the check would check nothing"
    unhashed = {path: names for path, names in imports.items() if any(not HASHED.search(n) for n in names)}
    assert unhashed == {}
