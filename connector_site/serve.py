"""daphne on uvloop: `python -m connector_site.serve <daphne's own arguments>`.

daphne runs Twisted's reactor on an asyncio event loop. When `daphne.server`
is first imported it makes that loop with `asyncio.new_event_loop()` and
installs Twisted's asyncio reactor on it, unless an asyncio reactor is
installed already; nothing in daphne's options chooses the loop. So this
installs the reactor first, on a uvloop loop (libuv, in C), through Twisted's
public `asyncioreactor.install(loop)`, then runs daphne's command line with
its access log off (the application logs each request itself). No event loop
policy is set (policies are deprecated from Python 3.14). docs/PERFORMANCE.md
("What we learned") has what uvloop gained.

Relied on, and checked by connector_site/tests/test_serve.py against the
installed daphne: it keeps an asyncio reactor installed before its import, and
serves on that reactor's loop. Where uvloop is not installed, daphne runs on
its own loop, reported as degraded (core/degraded.py).
"""

import os
import sys
from concurrent.futures import ThreadPoolExecutor

from core import degraded


def use_uvloop() -> bool:
    """Install Twisted's asyncio reactor on a uvloop loop; False where uvloop is not installed."""
    if "daphne.server" in sys.modules or "twisted.internet.reactor" in sys.modules:
        raise RuntimeError("daphne's event loop exists already: choose the loop before importing daphne")
    try:
        import uvloop
    except ImportError:
        degraded.report("uvloop", "uvloop is not installed: daphne runs on asyncio's own loop")
        return False
    from twisted.internet import asyncioreactor

    loop = uvloop.new_event_loop()
    if "ASGI_THREADS" in os.environ:  # what daphne does for the loop it would have made
        loop.set_default_executor(ThreadPoolExecutor(max_workers=int(os.environ["ASGI_THREADS"])))
    asyncioreactor.install(loop)
    return True


def without_daphne_access_log(arguments: list[str]) -> list[str]:
    """daphne's arguments with its access log off unless asked for: the application logs
    each request once itself (core.logs.access, with the time, request id and duration),
    and daphne's line was a second one, without either."""
    if any(argument.split("=", 1)[0] == "--access-log" for argument in arguments):
        return arguments
    return ["--access-log", os.devnull, *arguments]


def main() -> None:
    use_uvloop()
    from daphne.cli import CommandLineInterface

    sys.argv[1:] = without_daphne_access_log(sys.argv[1:])
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
