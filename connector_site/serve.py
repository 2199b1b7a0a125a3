"""daphne on uvloop: `python -m connector_site.serve <daphne's own arguments>`.

daphne runs Twisted's reactor on an asyncio event loop, which it creates when
`daphne.server` is first imported, from the event loop policy of that moment;
nothing in daphne's options chooses it. This sets uvloop's policy (the loop of
libuv, in C) first, then runs daphne's command line unchanged. Measured with
bin/bench in alternating runs, it lowers push latency and the CPU each webhook
costs (docs/PERFORMANCE.md, 'What we learned'). Where uvloop is not installed, daphne runs as it is.
"""

import asyncio
import sys


def use_uvloop() -> bool:
    """Make new event loops uvloop's; False where uvloop is not installed."""
    if "daphne.server" in sys.modules:
        raise RuntimeError("daphne's event loop exists already: choose the loop before importing daphne")
    try:
        import uvloop
    except ImportError:
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


def main() -> None:
    use_uvloop()
    from daphne.cli import CommandLineInterface

    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
