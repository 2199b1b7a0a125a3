"""Every page of the site, with the data that fills it: the list that
tests/test_every_page_browser.py checks at a phone's and a laptop's width and that
bin/screenshots photographs.

The list is checked against the URL conf: a named URL is either a page here or
excluded below with the reason, so a new page cannot be forgotten.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver

from sandbox import services as sandbox_services

# A tablet too: between the two, the apps table overflowed while both ends were right.
WIDTHS = {"phone": (390, 844), "tablet": (768, 1024), "laptop": (1280, 800)}


@dataclass(frozen=True)
class Page:
    name: str  # the URL name, with its namespace
    path: Callable[[dict], str]  # from the tour's data (ids of what it created)
    key: list[str]  # selectors that must be visible
    logged_in: bool = True
    label: str = ""  # when one URL name is shown in two states
    in_view: list[str] = field(default_factory=list)  # must not need sideways scrolling, at 1280 px
    fault: str = ""  # a sandbox fault mode set for the visit: the page as LivePerson fails
    status: int = 200  # the page's own answer

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", f"{self.name} {self.label}".lower()).strip("-")


def _fixed(path: str):
    return lambda data: path


PAGES = [
    # Logged out.
    Page("accounts:login", _fixed("/accounts/login/"), ["form[data-testid=login-form]"], logged_in=False),
    Page("home", _fixed("/"), ["form[data-testid=login-form]"], logged_in=False, label="logged out"),
    Page("admin:login", _fixed("/admin/login/"), ["#login-form"], logged_in=False),
    Page(
        "sandbox:index",
        _fixed("/sandbox/"),
        ["main h1", "[data-testid=fault-command]"],
        logged_in=False,
        in_view=["[data-testid=notification-status]", "[data-testid=notification-attempts]"],
    ),
    Page("sandbox:agent-list", _fixed("/sandbox/agent/"), ["main h1"], logged_in=False),
    Page(
        "sandbox:agent-conversation",
        lambda data: f"/sandbox/agent/{data['conversation_id']}/",
        ["[data-testid=transcript]"],
        logged_in=False,
    ),
    # Logged in, with a demo app, a conversation and its webhooks.
    Page("home", _fixed("/"), ["[data-testid=apps-table]", "[data-testid=create-app]"]),
    Page(
        "home",
        _fixed("/"),
        ["[data-testid=stale-list]", "[data-testid=list-error]", "[data-testid=apps-table]"],
        label="LivePerson down",
        fault="down",
    ),
    Page(
        "apps_admin:detail",
        lambda data: f"/apps/{data['client_id']}/",
        ["[data-testid=liveperson-unavailable]"],
        label="LivePerson down",
        fault="down",
        status=503,
    ),
    Page("apps_admin:create", _fixed("/apps/new/"), ["main form button[type=submit]"]),
    Page(
        "apps_admin:detail",
        lambda data: f"/apps/{data['client_id']}/",
        ["[data-testid=client-id]", "[data-testid=open-demo-chat]"],
    ),
    Page("apps_admin:edit", lambda data: f"/apps/{data['client_id']}/edit/", ["[data-testid=edit-form]"]),
    Page(
        "apps_admin:demo",
        lambda data: f"/apps/{data['client_id']}/demo/",
        ["main form button[type=submit]"],
    ),
    Page(
        "apps_admin:uninstall",
        lambda data: f"/apps/{data['client_id']}/uninstall/",
        ["button.danger[type=submit]"],
    ),
    Page("chat:list", _fixed("/chat/"), ["main table"]),
    Page("chat:start", _fixed("/chat/new/"), ["[data-testid=start-form]"]),
    Page("chat:detail", lambda data: f"/chat/{data['chat_pk']}/", ["[data-testid=conversation-id]"]),
    Page("webhooks:delivery-list", _fixed("/events/"), ["[data-testid=deliveries-table]"]),
    Page(
        "webhooks:delivery-detail",
        lambda data: f"/events/{data['delivery_pk']}/",
        ["[data-testid=delivery-facts]"],
    ),
    Page("webhooks:conversation-list", _fixed("/conversations/"), ["[data-testid=conversations-table]"]),
    Page(
        "webhooks:conversation-detail",
        lambda data: f"/conversations/{data['conversation_pk']}/",
        ["[data-testid=timeline]"],
    ),
    Page(
        "webhooks:app-test-notification",
        lambda data: f"/events/apps/{data['client_id']}/test-notification/",
        ["main h1"],
    ),
    Page("accounts:token-list", _fixed("/accounts/tokens/"), ["[data-testid=token-table]"]),
    Page(
        "accounts:token-revoke",
        lambda data: f"/accounts/tokens/{data['token_pk']}/revoke/",
        ["main form button[type=submit]"],
    ),
]

# Named URLs that are not pages a person opens, each with the reason.
EXCLUDED = {
    "accounts:logout": "POST only: the Log out button of every page",
    "health": "JSON for load balancers",
    "favicon": "a redirect to the static icon (tests/test_every_page_browser.py checks it)",
    "apps_admin:secret": "POST only, JSON: the Reveal and Copy buttons of the app page",
    "apps_admin:enable": "POST only: a button of the app page",
    "apps_admin:disable": "POST only: a button of the app page",
    "apps_admin:restore": "POST only: a button of the app page",
    "chat:upload": "POST only: the chat page's image upload",
    "chat:download": "a file, not a page",
    "sandbox:agent-events": "JSON polled by the sandbox agent page",
    "sandbox:agent-reply": "POST only: a form of the sandbox agent page",
    "sandbox:agent-private-note": "POST only: a form of the sandbox agent page",
    "sandbox:agent-chat-state": "POST only: a form of the sandbox agent page",
    "sandbox:agent-read": "POST only: a form of the sandbox agent page",
    "sandbox:agent-close": "POST only: a form of the sandbox agent page",
    "sandbox:agent-mode": "POST only: a form of the sandbox agent page",
    "sandbox:agent-transfer": "POST only: a form of the sandbox agent page",
    "sandbox:agent-resume": "POST only: a form of the sandbox agent page",
    "sandbox:agent-back-to-queue": "POST only: a form of the sandbox agent page",
    "sandbox:agent-file": "POST only: a form of the sandbox agent page",
    "webhooks:delivery-rows": "an HTML fragment: the new rows the events page fetches",
    "webhooks:conversation-rows": "an HTML fragment: the new rows the conversations page fetches",
    "webhooks:delivery-export": "a file download (the events as JSON)",
    "webhooks:conversation-export": "a file download (the conversation as JSON)",
    "webhooks:delivery-replay": "POST only: the Replay button of the delivery page",
}
# Whole namespaces, with the reason.
EXCLUDED_NAMESPACES = {
    "admin": "Django's own admin pages, styled by Django: its login page is in the tour",
    "api": "the JSON API for programs (docs/API.md), not pages",
}
# The sandbox's LivePerson APIs answer JSON to the product, not pages to people.
SANDBOX_APIS = {
    "sandbox:login",
    "sandbox:refresh",
    "sandbox:logout",
    "sandbox:feature-grants",
    "sandbox:installation-list",
    "sandbox:installation-detail",
    "sandbox:app-token",
    "sandbox:consumer-token",
    "sandbox:conversation",
    "sandbox:send",
    "sandbox:swift-object",
    "sandbox:conversation-search",
}
EXCLUDED.update(dict.fromkeys(SANDBOX_APIS, "a LivePerson API of the sandbox (JSON for the product)"))


def url_names(resolver: URLResolver | None = None, namespace: str = "") -> set[str]:
    """Every named URL of the URL conf, as 'namespace:name'."""
    resolver = resolver or get_resolver()
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def uncovered(names: set[str]) -> set[str]:
    """The named URLs neither toured nor excluded with a reason."""
    toured = {page.name for page in PAGES}
    return {
        name
        for name in names - toured - set(EXCLUDED)
        if name.partition(":")[0] not in EXCLUDED_NAMESPACES or ":" not in name
    }


@dataclass
class Watch:
    """What went wrong on the current page: console errors, uncaught errors, failed requests."""

    problems: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda error: self.problems.append(f"script: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _failed(self, request) -> None:
        # Leaving a page cancels what it still had in flight: not the page's fault.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"failed: {request.url} {request.failure}")

    def _response(self, response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def expect(self, url: str, status: int | None) -> None:
        """The page's own answer was meant to be `status`: not a problem of its own."""
        self.problems = [
            problem
            for problem in self.problems
            if problem != f"HTTP {status}: {url}"
            and not (status and status >= 400 and problem.startswith("console: Failed to load resource"))
        ]

    def take(self) -> list[str]:
        problems, self.problems = self.problems, []
        return problems


OVERFLOW = "() => document.scrollingElement.scrollWidth - window.innerWidth"


def _in_view(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]


def visit(page, base_url: str, tour_page: Page, data: dict, watch: Watch, *, width: str, shots=None):
    """Open one page at one width; the problems found, empty when it is right."""
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    watch.take()
    if tour_page.fault:
        sandbox_services.fault_set(mode=tour_page.fault)
    try:
        response = page.goto(f"{base_url}{tour_page.path(data)}")
        page.wait_for_load_state("load")
        page.wait_for_timeout(150)  # let the page's scripts draw
    finally:
        if tour_page.fault:
            sandbox_services.fault_clear()
    status = response.status if response else None
    problems = [] if status == tour_page.status else [f"HTTP {status}, not {tour_page.status}"]
    watch.expect(response.url if response else "", status)
    overflow = page.evaluate(OVERFLOW)
    if overflow > 0:
        problems.append(f"{overflow} px wider than the window")
    for selector in tour_page.key:
        locator = page.locator(selector).first
        if not locator.is_visible():
            problems.append(f"not visible: {selector}")
    if width == "laptop":
        problems += [
            f"scrolled out of view: {selector}"
            for selector in tour_page.in_view
            if not _in_view(page, selector)
        ]
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=shots / f"{tour_page.slug}-{width}.png", full_page=True)
    return problems + watch.take()
