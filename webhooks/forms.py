from django import forms

EVENT_TYPES = [
    "ContentEvent",
    "RichContentEvent",
    "AcceptStatusEvent",
    "ChatStateEvent",
    "UPSERT",
    "DELETE",
]
OTHER_EVENT_TYPE = "other"
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _datetime_local_field(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        required=False,
        label=label,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )


class _AppChoiceMixin:
    """An `app` select of (client_id, label) pairs; a requested unknown app still validates."""

    def set_app_choices(self, apps: list[tuple[str, str]]) -> None:
        choices = [("", "All apps"), *apps]
        requested = self.data.get(self.add_prefix("app"), "")
        if requested and requested not in {value for value, _ in choices}:
            choices.append((requested, requested))
        self.fields["app"].choices = choices


class DeliveryFilterForm(_AppChoiceMixin, forms.Form):
    app = forms.ChoiceField(required=False, label="App")
    conversation = forms.CharField(required=False, max_length=128, label="Conversation id")
    event_type = forms.ChoiceField(
        required=False,
        label="Event type",
        choices=[("", "All types"), *[(t, t) for t in EVENT_TYPES], (OTHER_EVENT_TYPE, "Other")],
    )
    outcome = forms.ChoiceField(
        required=False,
        label="Outcome",
        choices=[("", "All"), ("accepted", "Accepted"), ("rejected", "Rejected")],
    )
    since = _datetime_local_field("From")
    until = _datetime_local_field("To")

    def __init__(self, *args, apps: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.set_app_choices(apps)

    def filters(self) -> dict:
        """The valid, non-empty filters (an invalid field is ignored, not applied)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {name: value for name, value in cleaned.items() if value not in ("", None)}


class ConversationFilterForm(DeliveryFilterForm):
    event_type = None
    outcome = None
    since = None
    until = None
