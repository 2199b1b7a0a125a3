"""The background worker: one loop over the jobs listed in settings.WORKER_JOBS.

`manage.py worker` runs it; `worker.wake()` makes every running worker look for
work at once (see worker.wake). Jobs claim their work from the database
(worker.claims), so several workers may run at once and a crashed one loses
nothing.
"""

from worker.wake import wake

__all__ = ["wake"]
