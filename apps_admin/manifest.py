"""LivePerson's app manifest rules (docs/LIVEPERSON.md, 'Installation JSON' and 'What the
original app fills in'), as data and pure functions: what a new installation
contains and how an edit changes it."""

import re

WEBHOOK_TYPES = [
    "ms.MessagingEventNotification.ContentEvent",
    "ms.MessagingEventNotification.RichContentEvent",
    "ms.MessagingEventNotification.AcceptStatusEvent",
    "ms.MessagingEventNotification.ChatStateEvent",
    "cqm.ExConversationChangeNotification",
]
WEBHOOK_LABELS = {
    "ms.MessagingEventNotification.ContentEvent": "Content events",
    "ms.MessagingEventNotification.RichContentEvent": "Rich content events",
    "ms.MessagingEventNotification.AcceptStatusEvent": "Accept status events",
    "ms.MessagingEventNotification.ChatStateEvent": "Chat state events",
    "cqm.ExConversationChangeNotification": "Conversation changes",
}

# LivePerson's endpoint rule (the original app's regex, with its port group fixed:
# it read "(0-9)*", which matches only the literal text "0-9").
ENDPOINT_PATTERN = re.compile(
    r"^https://[0-9a-zA-Z]([-.\w]*[0-9a-zA-Z])*(:[0-9]+)?(/?)([a-zA-Z0-9\-.?,:'/\\+=&;%$#_]*)?$"
)
NAME_MAX = 128
DESCRIPTION_MAX = 256
MAX_RETRIES = 5

# Retry retention choices, in seconds: round values, each labelled with the exact
# number LivePerson gets. The original app offered 9,200 s as "2 hours" and 24,200 s as
# "12 hours" (docs/LIVEPERSON.md, 'What the original app fills in'); an app that
# already has such a value keeps it as a choice, labelled as what it really is.
RETENTION_SECONDS = [0, 3600, 7200, 14400, 21600, 43200, 86400, 172800, 259200]
RETENTION_MIN, RETENTION_MAX = 2, 259200

ENGAGEMENT_BOOLEANS = ["design_engagement", "design_window", "language_selection"]
ENGAGEMENT_CHOICES = {
    "entry_point": ["section", "url"],
    "visitor_behavior": [
        "visited_location",
        "time_on_location",
        "flow",
        "engaged_in_session",
        "about_to_abandon",
        "cart_value",
        "cart_items",
        "visitor_error",
        "viewed_products",
        "service_activity",
    ],
    "target_audience": [
        "external_referral",
        "search_keywords",
        "ip",
        "platform",
        "geo_location",
        "returning_visitors",
        "marketing_source",
        "customer_type",
        "age",
        "balance",
        "customer_id",
        "gender",
        "store_zip_code",
        "store_number",
        "company_size",
        "registration_date",
    ],
    "goal": ["url", "purchase_total", "num_of_pages", "lead", "service_activity"],
    "consumer_identity": ["auth", "unauth"],
}
# (required, most values) per list, as the original app validates them.
ENGAGEMENT_LIMITS = {
    "entry_point": (True, 10),
    "visitor_behavior": (False, 10),
    "target_audience": (False, 20),
    "goal": (False, 10),
    "consumer_identity": (True, 5),
}


def retention_label(seconds: int) -> str:
    """'Off', '1 hour', '2 h 33 min 20 s': what the value really is."""
    if seconds == 0:
        return "Off (no retry by time)"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if not (minutes or secs):
        if not days:
            return f"{hours} hour{'s' if hours != 1 else ''}"
        if not hours:
            return f"{days} day{'s' if days != 1 else ''}"
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    return " ".join(f"{value} {unit}" for value, unit in parts if value)


def retention_choices(current: int = 0) -> list[tuple[int, str]]:
    """The select's choices: '2 hours (7,200 s)', with the current value among them."""
    values = sorted({*RETENTION_SECONDS, current})
    return [(v, retention_label(v) if v == 0 else f"{retention_label(v)} ({v:,} s)") for v in values]


def max_retries_label(hook: dict, retention_time: int) -> str:
    """What LivePerson does when this webhook's notification fails (docs/WEBHOOKS.md, 'What
    LivePerson documents'): by number, max_retries (missing: 0) retries 30 s apart; by time,
    which takes precedence, every webhook is retried for the retention time, one without
    max_retries too, except one with an explicit 0 (its failed events are dropped)."""
    retries = hook.get("max_retries")
    if retention_time:
        if retries == 0:
            return "0: a failed notification is dropped (retry by time does not apply)"
        shown = "not set" if retries is None else str(retries)
        return f"{shown}: retried for {retention_label(retention_time)} (retry by time takes precedence)"
    if retries is None:
        return "not set: 0 (no retry)"
    return f"{retries} (30 s apart)"


def header_names(hook: dict) -> list[str]:
    """The names of a webhook's custom headers; their values may be secrets, never shown."""
    return [header.get("header_name", "") for header in hook.get("headers") or []]


def default_engagement() -> dict:
    """What the original app fills in: every option allowed, consumers authenticated."""
    return {
        **dict.fromkeys(ENGAGEMENT_BOOLEANS, False),
        "entry_point": ["url", "section"],
        "visitor_behavior": list(ENGAGEMENT_CHOICES["visitor_behavior"]),
        "target_audience": list(ENGAGEMENT_CHOICES["target_audience"]),
        "goal": list(ENGAGEMENT_CHOICES["goal"]),
        "consumer_identity": ["auth"],
    }


def new_installation(*, name: str, description: str, endpoint: str = "") -> dict:
    """The manifest the original app posts for a new app
    (docs/LIVEPERSON.md, 'What the original app fills in')."""
    return {
        "client_name": name,
        "description": description,
        "enabled": True,
        "grant_types": ["client_credentials"],
        "scope": "msg.consumer",
        "logo_uri": "",
        "capabilities": {
            "webhooks": all_endpoints({}, endpoint) if endpoint else {},
            "engagement": default_engagement(),
        },
    }


# The installation page's table names the conversation webhook so; its example, the Webhooks
# pages and the original app say cqm.… (docs/LIVEPERSON.md, 'Installation JSON'): an app made
# elsewhere may use either, and is read (and saved back) with the cqm.… key.
CONVERSATION_WEBHOOK_ALIAS = "ms.MessagingEventNotification.ExConversationChangeNotification"


def webhooks_of(installation: dict) -> dict:
    webhooks = (installation.get("capabilities") or {}).get("webhooks") or {}
    if CONVERSATION_WEBHOOK_ALIAS not in webhooks:
        return webhooks
    read = {key: value for key, value in webhooks.items() if key != CONVERSATION_WEBHOOK_ALIAS}
    read.setdefault("cqm.ExConversationChangeNotification", webhooks[CONVERSATION_WEBHOOK_ALIAS])
    return read


def endpoints_of(installation: dict) -> dict[str, str]:
    """Event type -> endpoint, for the types that have one."""
    webhooks = webhooks_of(installation)
    return {
        kind: webhooks[kind]["endpoint"]
        for kind in WEBHOOK_TYPES
        if (webhooks.get(kind) or {}).get("endpoint")
    }


def all_endpoints(webhooks: dict, endpoint: str) -> dict:
    """Every event type pointed at one endpoint, keeping each type's headers."""
    changed = {key: value for key, value in webhooks.items() if key not in WEBHOOK_TYPES}
    for kind in WEBHOOK_TYPES:
        changed[kind] = {**(webhooks.get(kind) or {"headers": []}), "endpoint": endpoint}
    return changed


def routing_of(webhooks: dict) -> dict:
    """Where each event type goes: {type: {endpoint, max_retries}}, for the types that have
    an endpoint (no headers: their values may be secrets, and demo mode keeps them)."""
    return {
        kind: {"endpoint": webhooks[kind]["endpoint"], "max_retries": webhooks[kind].get("max_retries")}
        for kind in WEBHOOK_TYPES
        if (webhooks.get(kind) or {}).get("endpoint")
    }


def with_routing(webhooks: dict, routing: dict) -> dict:
    """`webhooks` with each type's endpoint and max_retries from `routing`, keeping its
    headers; a type that `routing` lacks is left out (it had no endpoint)."""
    changed = {key: value for key, value in webhooks.items() if key not in WEBHOOK_TYPES}
    for kind in WEBHOOK_TYPES:
        if kind not in routing:
            continue
        hook = {
            "headers": (webhooks.get(kind) or {}).get("headers") or [],
            "endpoint": routing[kind]["endpoint"],
        }
        if routing[kind].get("max_retries") is not None:
            hook["max_retries"] = routing[kind]["max_retries"]
        changed[kind] = hook
    return changed


def is_demo(installation: dict, demo_endpoint: str) -> bool:
    endpoints = endpoints_of(installation)
    return len(endpoints) == len(WEBHOOK_TYPES) and set(endpoints.values()) == {demo_endpoint}
