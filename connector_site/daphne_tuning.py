"""Daphne without Twisted's parsing of form bodies.

Twisted parses the Content-Type of every POST with the standard library's
email package, to fill `request.args` from form bodies. Daphne never reads
`request.args` (it hands the raw body to the ASGI application, and Django
parses forms itself), yet that parse was 28 % of daphne's event loop at full
webhook load (py-spy, bin/bench). Twisted 24.11 lets a request skip it
(`parsePOSTFormSubmission`); daphne builds its requests without saying so,
hence this subclass in its place. Imported by connector_site.asgi, so it takes
effect wherever daphne serves the application.
"""

import inspect

from daphne import http_protocol
from twisted.web import http


class WebRequestWithoutFormParsing(http_protocol.WebRequest):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parsePOSTFormSubmission", False)
        super().__init__(*args, **kwargs)


def install() -> None:
    # An older Twisted has no such switch: keep daphne as it is.
    if "parsePOSTFormSubmission" in inspect.signature(http.Request.__init__).parameters:
        http_protocol.WebRequest = WebRequestWithoutFormParsing
