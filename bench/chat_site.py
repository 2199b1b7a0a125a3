"""The benchmark's person, over real HTTP like a browser: log in, create a demo app and
start conversations through the app's own forms (setup only: nothing here is timed).

`requests` with a cookie session: the CSRF token comes from the cookie, as the
forms' hidden field would carry it, and every step must answer with the
redirect the page follows on success.
"""

import html
import re

import requests

LOGIN = {"account_id": "90000001", "login_name": "admin", "password": "sandbox-admin"}
# What the start form offers checked by default (chat.forms.ConversationStartForm).
DEFAULT_FEATURES = ["AUTO_MESSAGES", "RICH_CONTENT", "QUICK_REPLIES", "MULTI_DIALOG"]
TIMEOUT = 60
ERRORS = re.compile(r'<ul class="errorlist[^"]*">(.*?)</ul>', re.DOTALL)


class SetupError(RuntimeError):
    """A step of the setup did not succeed; the message says what the page said."""


class Site:
    """One logged-in browser session on the app at `base_url` (http://127.0.0.1:port)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()

    @property
    def session_cookie(self) -> str:
        return self.http.cookies["sessionid"]

    def log_in(self, credentials: dict = LOGIN) -> None:
        """The login form, with the sandbox's LivePerson account."""
        self._post("/accounts/login/", credentials)

    def app_create(self, name: str) -> str:
        """Install a demo app (webhooks to this site's /notifications/event); its client id."""
        fields = {
            "basic-name": name,
            "basic-description": "Demo chat benchmark",
            "basic-demo": "on",
            "basic-retention_time": "0",
            # The engagement lists LivePerson requires (apps_admin.forms.EngagementForm).
            "engagement-entry_point": ["url", "section"],
            "engagement-consumer_identity": ["auth"],
        }
        for prefix in ("content", "rich", "accept", "chatstate", "conversation"):  # no custom headers
            fields.update({f"{prefix}-headers-TOTAL_FORMS": "0", f"{prefix}-headers-INITIAL_FORMS": "0"})
        location = self._post("/apps/new/", fields)
        return _match(r"/apps/([^/]+)/", location)

    def conversation_start(self, *, client_id: str, consumer_name: str, first_message: str) -> int:
        """The start form with its defaults; the new conversation's pk."""
        fields = {
            "client_id": client_id,
            "consumer_name": consumer_name,
            # Every bench conversation is its own consumer: a returning one has one at a time.
            "new_consumer": "on",
            "features": DEFAULT_FEATURES,
            "campaign_id": "",
            "engagement_id": "",
            "skill_id": "-1",
            "survey_skill_id": "",
            "ttr": "",
            "first_message": first_message,
        }
        return int(_match(r"/chat/(\d+)/", self._post("/chat/new/", fields)))

    def _post(self, path: str, fields: dict) -> str:
        """POST a form as the page does; the redirect's location, or SetupError."""
        if "csrftoken" not in self.http.cookies:
            self.http.get(self.base_url + path, timeout=TIMEOUT)
        # The token rotates on login: always the cookie's current value.
        data = {**fields, "csrfmiddlewaretoken": self.http.cookies["csrftoken"]}
        response = self.http.post(self.base_url + path, data=data, allow_redirects=False, timeout=TIMEOUT)
        if response.status_code != 302:
            raise SetupError(f"POST {path} answered {response.status_code}: {_page_errors(response.text)}")
        return response.headers["Location"]


def _match(pattern: str, location: str) -> str:
    found = re.fullmatch(pattern, location)
    if found is None:
        raise SetupError(f"unexpected redirect to {location}")
    return found.group(1)


def _page_errors(page: str) -> str:
    """The form's error messages, as text (the page's own words)."""
    found = [re.sub(r"<[^>]+>", " ", block) for block in ERRORS.findall(page)]
    text = " ".join(" ".join(html.unescape(block).split()) for block in found)
    return text or "no form error shown"
