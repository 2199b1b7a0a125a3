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


class InstallationBasicForm(forms.Form):
    """Name, description and retention; editing adds enabled and the revision, creating
    the demo choice."""

    name = forms.CharField(max_length=manifest.NAME_MAX)
    description = forms.CharField(
        max_length=manifest.DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    enabled = forms.BooleanField(required=False)
    revision = forms.CharField(widget=forms.HiddenInput)
    demo = forms.BooleanField(
        required=False,
        label="Demo app",
        help_text="Send every webhook to this site, to watch notifications in the demo connector.",
    )
    retention_time = forms.TypedChoiceField(
        label="Retry by time (retention)",
        coerce=int,
        help_text="How long LivePerson keeps retrying failed notifications, with backoff.",
    )

    def __init__(self, *args, current_retention: int = 0, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("demo",) if not creating else ("enabled", "revision"):
            del self.fields[name]
        self.fields["retention_time"].choices = manifest.retention_choices(current_retention)


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


class InstallationForms:
    """The create and edit pages' one form: basic fields, one webhook form and header
    rows per event type, and the engagement form, validated and turned into one edit
    together. Creating starts from what a new installation gets and offers demo mode."""

    def __init__(self, data=None, *, installation: dict | None = None, revision: str = ""):
        self.creating = installation is None
        if installation is None:
            installation = manifest.new_installation(name="", description="")
        webhooks = manifest.webhooks_of(installation)
        retention = (webhooks.get("retry") or {}).get("retention_time") or 0
        self.basic = InstallationBasicForm(
            data,
            prefix="basic",
            current_retention=retention,
            creating=self.creating,
            initial={
                "name": installation.get("client_name", ""),
                "description": installation.get("description", ""),
                "enabled": bool(installation.get("enabled")),
                "demo": False,
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
        valid = all([form.is_valid() for form in self._all()])  # a list: validate every form
        if valid and self.demo and any(hook.endpoint for hook in self._webhook_edits().values()):
            # Demo mode points every type at this site: an endpoint typed as well would be
            # dropped without a word, so the person chooses (docs/APPS.md, 'Demo mode').
            self.basic.add_error(
                "demo",
                "A demo app sends every webhook to this site: clear the endpoints below, "
                "or untick Demo app to keep them.",
            )
            return False
        return valid

    @property
    def demo(self) -> bool:
        return bool(self.creating and self.basic.cleaned_data.get("demo"))

    @property
    def revision(self) -> str:
        return self.basic.cleaned_data["revision"]

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(label, message, field id) of every error, in the page's order: the
        summary at the top of the form links each one to its field."""
        found = self._errors_of(self.basic, "", "basic")
        for kind, label, form, headers in self.webhooks:
            found += self._errors_of(form, f"{label}: ", self._anchor(kind))
            for row in headers.forms:
                found += self._errors_of(row, f"{label}: ", self._anchor(kind))
            found += [
                (f"{label}: headers", message, self._anchor(kind)) for message in headers.non_form_errors()
            ]
        return found + self._errors_of(self.engagement, "", "engagement")

    @staticmethod
    def _errors_of(form, prefix: str, section: str) -> list[tuple[str, str, str]]:
        """`form`'s errors, labelled `prefix` + the field's label; one that belongs to no
        field links to its section."""
        found = []
        for name, messages in form.errors.items():
            bound = form[name] if name in form.fields else None
            label = f"{prefix}{bound.label}" if bound else f"{prefix}Section"
            # A list of checkboxes has no element of its own id: its first box.
            target = (bound.id_for_label or f"{bound.auto_id}_0") if bound else section
            found += [(label, message, target) for message in messages]
        return found

    @staticmethod
    def _anchor(kind: str) -> str:
        return f"webhook-{WEBHOOK_PREFIXES[kind]}"

    def to_edit(self) -> InstallationEdit:
        basic = self.basic.cleaned_data
        return InstallationEdit(
            name=basic["name"],
            description=basic["description"],
            enabled=basic.get("enabled", True),
            webhooks=self._webhook_edits(),
            retention_time=basic["retention_time"],
            engagement=self.engagement.cleaned_data,
        )

    def _webhook_edits(self) -> dict[str, WebhookEdit]:
        return {kind: self._webhook(form, headers) for kind, _, form, headers in self.webhooks}

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
