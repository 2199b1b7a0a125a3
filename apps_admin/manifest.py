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

# Retry retention choices of the original app, in seconds. It labelled 9,200 s
# "2 hours" and 24,200 s "12 hours"; labels here are computed from the values.
RETENTION_SECONDS = [0, 3600, 9200, 14400, 21600, 24200, 86400, 172800, 259200]
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


def webhooks_of(installation: dict) -> dict:
    return (installation.get("capabilities") or {}).get("webhooks") or {}


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


def is_demo(installation: dict, demo_endpoint: str) -> bool:
    endpoints = endpoints_of(installation)
    return len(endpoints) == len(WEBHOOK_TYPES) and set(endpoints.values()) == {demo_endpoint}
