import re

from django import forms
from django.core.validators import RegexValidator

from apps_admin import manifest
from apps_admin.services import InstallationEdit, WebhookEdit

endpoint_validator = RegexValidator(
    manifest.ENDPOINT_PATTERN,
    "LivePerson only accepts https:// URLs of the form https://host[:port]/path (no spaces, '~', '(', '@').",
)
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# Short, stable form prefixes for the five event types.
WEBHOOK_PREFIXES = {
    "ms.MessagingEventNotification.ContentEvent": "content",
    "ms.MessagingEventNotification.RichContentEvent": "rich",
    "ms.MessagingEventNotification.AcceptStatusEvent": "accept",
    "ms.MessagingEventNotification.ChatStateEvent": "chatstate",
    "cqm.ExConversationChangeNotification": "conversation",
}


def _endpoint_field(**kwargs) -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=2048,
        validators=[endpoint_validator],
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/webhooks", "inputmode": "url"}),
        **kwargs,
    )


class InstallationCreateForm(forms.Form):
    name = forms.CharField(max_length=manifest.NAME_MAX)
    description = forms.CharField(
        max_length=manifest.DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    endpoint = _endpoint_field(
        label="Webhook endpoint", help_text="Optional. Used for all five event types; change each later."
    )
    demo = forms.BooleanField(
        required=False,
        label="Demo app",
        help_text="Send every webhook to this site, to watch notifications in the demo connector.",
    )


class InstallationBasicForm(forms.Form):
    name = forms.CharField(max_length=manifest.NAME_MAX)
    description = forms.CharField(
        max_length=manifest.DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    enabled = forms.BooleanField(required=False)
    revision = forms.CharField(widget=forms.HiddenInput)
    retention_time = forms.TypedChoiceField(
        label="Retry by time (retention)",
        coerce=int,
        help_text="How long LivePerson keeps retrying failed notifications, with backoff.",
    )

    def __init__(self, *args, current_retention: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        values = sorted({*manifest.RETENTION_SECONDS, current_retention})
        self.fields["retention_time"].choices = [(v, manifest.retention_label(v)) for v in values]


class WebhookForm(forms.Form):
    endpoint = _endpoint_field(label="Endpoint")
    max_retries = forms.IntegerField(
        required=False, min_value=0, max_value=manifest.MAX_RETRIES, label="Max retries (0-5)"
    )


class HeaderForm(forms.Form):
    header_name = forms.CharField(max_length=256, required=False, label="Header")
    header_value = forms.CharField(max_length=4096, required=False, label="Value")

    def clean(self):
        cleaned = super().clean()
        name, value = cleaned.get("header_name", ""), cleaned.get("header_value", "")
        if value and not name:
            self.add_error("header_name", "A header needs a name.")
        if name and not HEADER_NAME.match(name):
            self.add_error("header_name", "Letters, digits and - only (an HTTP header name).")
        return cleaned


HeaderFormSet = forms.formset_factory(HeaderForm, extra=0, can_delete=True, max_num=20, validate_max=True)


class EngagementForm(forms.Form):
    design_engagement = forms.BooleanField(required=False)
    design_window = forms.BooleanField(required=False)
    language_selection = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, values in manifest.ENGAGEMENT_CHOICES.items():
            required, _ = manifest.ENGAGEMENT_LIMITS[name]
            self.fields[name] = forms.MultipleChoiceField(
                choices=[(v, v.replace("_", " ")) for v in values],
                required=required,
                widget=forms.CheckboxSelectMultiple,
            )

    def choice_fields(self):
        return [self[name] for name in manifest.ENGAGEMENT_CHOICES]

    def clean(self):
        cleaned = super().clean()
        for name, (_, most) in manifest.ENGAGEMENT_LIMITS.items():
            if len(cleaned.get(name) or []) > most:
                self.add_error(name, f"Choose at most {most}.")
        return cleaned


class InstallationEditForms:
    """The edit page: basic fields, one webhook form and header rows per event
    type, and the engagement form, validated and turned into one edit together."""

    def __init__(self, data=None, *, installation: dict, revision: str):
        webhooks = manifest.webhooks_of(installation)
        retention = (webhooks.get("retry") or {}).get("retention_time") or 0
        self.basic = InstallationBasicForm(
            data,
            prefix="basic",
            current_retention=retention,
            initial={
                "name": installation.get("client_name", ""),
                "description": installation.get("description", ""),
                "enabled": bool(installation.get("enabled")),
                "revision": revision,
                "retention_time": retention,
            },
        )
        self.webhooks = []
        for kind, prefix in WEBHOOK_PREFIXES.items():
            hook = webhooks.get(kind) or {}
            form = WebhookForm(data, prefix=prefix, initial=hook)
            headers = HeaderFormSet(data, prefix=f"{prefix}-headers", initial=hook.get("headers") or [])
            self.webhooks.append((kind, manifest.WEBHOOK_LABELS[kind], form, headers))
        engagement = (installation.get("capabilities") or {}).get(
            "engagement"
        ) or manifest.default_engagement()
        self.engagement = EngagementForm(data, prefix="engagement", initial=engagement)

    def _all(self):
        yield self.basic
        for _, _, form, headers in self.webhooks:
            yield form
            yield headers
        yield self.engagement

    def is_valid(self) -> bool:
        return all([form.is_valid() for form in self._all()])  # a list: validate every form

    @property
    def revision(self) -> str:
        return self.basic.cleaned_data["revision"]

    def to_edit(self) -> InstallationEdit:
        basic = self.basic.cleaned_data
        return InstallationEdit(
            name=basic["name"],
            description=basic["description"],
            enabled=basic["enabled"],
            webhooks={kind: self._webhook(form, headers) for kind, _, form, headers in self.webhooks},
            retention_time=basic["retention_time"],
            engagement=self.engagement.cleaned_data,
        )

    @staticmethod
    def _webhook(form, headers) -> WebhookEdit:
        rows = [
            {"header_name": row["header_name"], "header_value": row.get("header_value", "")}
            for row in headers.cleaned_data
            if row and row.get("header_name") and not row.get("DELETE")
        ]
        return WebhookEdit(
            endpoint=form.cleaned_data["endpoint"], headers=rows, max_retries=form.cleaned_data["max_retries"]
        )
