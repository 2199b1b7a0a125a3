"""Keep the garbage collector's full passes off the objects of startup.

CPython runs a full collection whenever enough objects have survived the young
ones, and a full collection walks every tracked object. In a daphne process
that is every object of Django, Twisted and their modules, none of which
ever becomes garbage: measured with gc.callbacks under bin/bench, a full pass
stopped the event loop for tens of milliseconds every few seconds and was most
of the acknowledgement p99 (the figures: docs/PERFORMANCE.md, 'What we learned').

gc.freeze() moves every object alive now to a permanent generation that no
collection walks. Reference counting still frees them, so this changes nothing
but the collector's work; only a reference cycle among them would stay, and
startup's cycles are collected just before.
"""

import gc


def freeze_startup_objects() -> None:
    """Call once, when the application is built and before it serves."""
    gc.collect()
    gc.freeze()
