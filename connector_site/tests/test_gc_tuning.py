"""The ASGI module leaves its process with startup's objects frozen."""

import gc
import subprocess
import sys
import weakref

from connector_site import gc_tuning
from connector_site.settings import BASE_DIR

REPORT = (
    "import gc, connector_site.asgi\nfrozen = gc.get_freeze_count()\nprint(frozen, len(gc.get_objects()))\n"
)


def test_importing_the_application_freezes_what_startup_made():
    # A fresh interpreter, as daphne imports the application.
    out = subprocess.run(
        [sys.executable, "-c", REPORT], cwd=BASE_DIR, capture_output=True, text=True, timeout=120, check=True
    ).stdout
    frozen, tracked = map(int, out.split())

    # Django, Channels and their modules: far more than a collection should walk.
    assert frozen > 50_000
    # What a full collection still walks is the little made since.
    assert tracked < frozen / 10


def test_frozen_objects_are_still_freed_by_reference_counting():
    class Canary:
        pass

    canary = Canary()
    freed = []
    weakref.finalize(canary, freed.append, True)
    try:
        gc_tuning.freeze_startup_objects()
        assert gc.get_freeze_count() > 0
        del canary
        assert freed == [True]
    finally:
        gc.unfreeze()
