"""`make run` stops cleanly on Ctrl-C (issue 17, item 9): no "make: *** [run] Error 143"."""

import os
import signal
import subprocess
import sys

from conftest import BASE_DIR, free_port, wait_for_http


def _restore_sigint_in_a_new_group():
    # As under a terminal: a process group of its own, and SIGINT not ignored (a test
    # runner's background children may inherit it ignored).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.setsid()


def test_ctrl_c_on_make_run_stops_both_processes_without_an_error(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
        "DJANGO_ENV_FILE": "/nonexistent",
        "PYTHON": sys.executable,
    }
    env.pop("REDIS_URL", None)  # the zero-configuration run: an in-process channel layer
    make = subprocess.Popen(
        ["make", "run"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_restore_sigint_in_a_new_group,  # before any thread of this test starts
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", timeout=90)
        os.killpg(make.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
        output, _ = make.communicate(timeout=30)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
    assert "Stopped." in output
    assert "make: ***" not in output
    assert "Error 1" not in output
