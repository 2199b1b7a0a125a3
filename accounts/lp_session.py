"""The LivePerson side of a logged-in user's session, kept server-side only.

It lives in the Django session (database-backed), so the bearer token, the
LivePerson `Session_id`, the csrf and the CSDS map never reach the browser.
"""

from dataclasses import asdict, dataclass

SESSION_KEY = "liveperson"


@dataclass
class LivePersonSession:
    account_id: str
    login_name: str
    user_id: str
    bearer: str
    csrf: str
    session_id: str
    base_uris: dict[str, str]
    expires_at: float  # epoch seconds: login time + LivePerson's sessionTTl
    next_refresh_at: float  # epoch seconds

    def login_service_args(self) -> dict:
        """What the Login Service's refresh and logout calls need."""
        return {
            "base_uri": self.base_uris["agentVep"],
            "account_id": self.account_id,
            "session_id": self.session_id,
            "csrf": self.csrf,
        }

    def __repr__(self):  # keep tokens out of tracebacks and debug output
        return f"LivePersonSession(account_id={self.account_id!r}, login_name={self.login_name!r})"


def lp_session_get(request) -> LivePersonSession | None:
    data = request.session.get(SESSION_KEY)
    return LivePersonSession(**data) if data else None


def lp_session_save(request, lp: LivePersonSession) -> None:
    request.session[SESSION_KEY] = asdict(lp)
