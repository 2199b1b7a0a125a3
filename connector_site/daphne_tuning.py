"""Daphne without Twisted's parsing of form bodies.

Twisted parses the Content-Type of every POST with the standard library's
email package, to fill `request.args` from form bodies. Daphne never reads
`request.args` (it hands the raw body to the ASGI application, and Django
parses forms itself), yet that parse was a large share of daphne's event loop at
full webhook load (py-spy, bin/bench; docs/PERFORMANCE.md, 'What we learned').
Twisted 24.11 lets a request skip it (`parsePOSTFormSubmission`); daphne builds
its requests without saying so, hence this subclass in its place. Imported by connector_site.asgi, so it takes
effect wherever daphne serves the application.

Relied on, and checked by connector_site/tests/test_daphne_tuning.py against
the installed versions: daphne builds each request as
`http_protocol.WebRequest(...)` (looked up at call time), and Twisted's
Request takes `parsePOSTFormSubmission`. Without the switch daphne runs as it
is, reported as degraded (core/degraded.py).
"""

import inspect

from daphne import http_protocol
from twisted.web import http

from core import degraded


class WebRequestWithoutFormParsing(http_protocol.WebRequest):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parsePOSTFormSubmission", False)
        super().__init__(*args, **kwargs)


def install() -> None:
    if "parsePOSTFormSubmission" in inspect.signature(http.Request.__init__).parameters:
        http_protocol.WebRequest = WebRequestWithoutFormParsing
    else:
        degraded.report("twisted_form_parsing", "Twisted's Request has no parsePOSTFormSubmission")
