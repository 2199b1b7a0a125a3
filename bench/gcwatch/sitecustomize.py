"""Log every garbage collection over 1 ms, and every full one, of daphne processes.

How the pauses in docs/PERFORMANCE.md ("Findings of the latency work") were
seen. Python imports `sitecustomize` at startup from its path, so:

    PYTHONPATH=bench/gcwatch BENCH_GC_LOG=/tmp/gc bin/bench --rates 500 --repeat 1 --no-docs

writes /tmp/gc-<pid>.log per daphne: time, generation, pause in ms, objects
collected, and for full collections the objects still tracked (what the next
one walks). Nothing happens in other processes or without BENCH_GC_LOG.
"""

import gc
import os
import time

_prefix = os.environ.get("BENCH_GC_LOG")
with open("/proc/self/cmdline", "rb") as _cmdline:
    _is_daphne = b"connector_site.serve" in _cmdline.read()

if _prefix and _is_daphne:
    _log = open(f"{_prefix}-{os.getpid()}.log", "w", buffering=1)  # noqa: SIM115 - open for the process's life
    _started = [0.0]

    def _watch(phase: str, info: dict) -> None:
        if phase == "start":
            _started[0] = time.perf_counter()
            return
        pause_ms = (time.perf_counter() - _started[0]) * 1000
        full = info["generation"] == 2
        if full or pause_ms > 1:
            tracked = len(gc.get_objects()) if full else ""
            _log.write(
                f"{time.time():.3f} gen{info['generation']} {pause_ms:.2f}ms"
                f" collected={info['collected']} tracked={tracked}\n"
            )

    gc.callbacks.append(_watch)
