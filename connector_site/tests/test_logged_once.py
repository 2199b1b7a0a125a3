"""Each request is logged once, with its time and request id (issue 17, item 9)."""

import logging

import pytest

from connector_site.serve import without_daphne_access_log


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def records():
    handler = Records()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler.records
    root.removeHandler(handler)


@pytest.mark.parametrize("path", ["/no-such-page", "/favicon-nope.ico"])
def test_a_4xx_is_logged_once_by_the_access_line_with_its_request_id(client, db, records, path):
    assert client.get(path).status_code == 404

    about_it = [record for record in records if path in record.getMessage()]
    assert [record.name for record in about_it] == ["connector_site.access"]
    assert about_it[0].request_id not in ("", "-")
    # Django's own handler printed a bare "Not Found: ..." line besides.
    assert logging.getLogger("django").handlers == []


def test_daphne_keeps_its_access_log_to_itself_unless_asked():
    assert without_daphne_access_log(["-p", "8000", "app"])[:2] == ["--access-log", "/dev/null"]
    assert without_daphne_access_log(["--access-log", "-", "app"]) == ["--access-log", "-", "app"]
    assert without_daphne_access_log(["--access-log=/tmp/a", "app"]) == ["--access-log=/tmp/a", "app"]
