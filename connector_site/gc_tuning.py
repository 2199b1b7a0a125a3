"""Keep the garbage collector's full passes off the objects of startup.

CPython runs a full collection whenever enough objects have survived the young
ones, and a full collection walks every tracked object. In a daphne process
that is ~150,000 objects of Django, Twisted and their modules, which never
become garbage: measured with gc.callbacks under bin/bench at 500 webhooks/s,
a full pass stopped the event loop for ~40 ms every 2-4 s, and was most of the
acknowledgement p99 (24 ms; 4.7 ms once frozen: docs/PERFORMANCE.md).

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
