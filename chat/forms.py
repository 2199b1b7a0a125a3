"""The demo chat's start form: which app, who the consumer is, the conversation's
options (docs/LIVEPERSON.md: 'Connector authorization: headers on Send API calls',
'Send API: CONVERSATION', 'Post-conversation survey') and the first message."""

from django import forms
from django.core.validators import RegexValidator

from chat import sdes, starting
from chat.exceptions import ChatError

DIGITS = RegexValidator(r"^[0-9]+$", "Digits only.")
SKILL = RegexValidator(r"^(-1|[0-9]+)$", "A skill id (digits), or -1 for any skill.")
SURVEY_HINT = (
    "The skill of the post-conversation survey: the conversation is opened on it, and the survey "
    "runs when you close with a survey. A survey needs the features "
    + ", ".join(starting.SURVEY_FEATURES)
    + "."
)


class ConsumerInfoForm(forms.Form):
    """Consumer info for the agent, sent as SDEs (chat.sdes; docs/LIVEPERSON.md,
    'Consumer info (SDEs)'): at the start, and later from the chat page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, spec in sdes.FIELDS.items():
            self.fields[name] = _sde_field(name, spec)

    def consumer_info(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name in sdes.FIELDS}


def _sde_field(name: str, spec: sdes.SdeField) -> forms.Field:
    if name == "gender":
        choices = [("", "Not given"), *((g, g.title()) for g in sdes.GENDERS)]
        return forms.ChoiceField(label=spec.label, choices=choices, required=False)
    if name == "email":
        return forms.EmailField(label=spec.label, max_length=sdes.MAX_CHARS, required=False)
    return forms.CharField(label=spec.label, max_length=sdes.MAX_CHARS, required=False)


def consumer_info(values) -> dict[str, str]:
    """The cleaned SDE fields of a socket action; ChatError with the first problem."""
    if not isinstance(values, dict):
        raise ChatError("Consumer info is a set of fields.")
    form = ConsumerInfoForm(data=values)
    if not form.is_valid():
        name, errors = next(iter(form.errors.items()))
        raise ChatError(f"{form.fields[name].label}: {errors[0]}")
    return form.consumer_info()


class ConversationStartForm(ConsumerInfoForm):
    """Everything the original demo asks before opening a conversation, and consumer info."""

    client_id = forms.ChoiceField(label="App")
    consumer_name = forms.CharField(label="Consumer name", max_length=128, initial="Kim")
    new_consumer = forms.BooleanField(
        label="As a new consumer",
        required=False,
        help_text="Otherwise you return as this app's same consumer, who can have one open conversation.",
    )
    features = forms.MultipleChoiceField(
        label="Features",
        choices=[(name, name) for name in starting.FEATURES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=["AUTO_MESSAGES", "RICH_CONTENT", "QUICK_REPLIES", "MULTI_DIALOG"],
        help_text="Sent as Client-Properties on every call; LivePerson enables what the account allows.",
    )
    campaign_id = forms.CharField(label="Campaign id", max_length=32, required=False, validators=[DIGITS])
    engagement_id = forms.CharField(label="Engagement id", max_length=32, required=False, validators=[DIGITS])
    skill_id = forms.CharField(label="Skill id", max_length=32, initial="-1", validators=[SKILL])
    survey_skill_id = forms.CharField(
        label="Survey skill id", max_length=32, required=False, validators=[DIGITS], help_text=SURVEY_HINT
    )
    ttr = forms.ChoiceField(
        label="Time to respond (TTR)",
        choices=[("", "Default"), ("NORMAL", "Normal"), ("URGENT", "Urgent"), ("PRIORITIZED", "Prioritized")],
        required=False,
    )
    first_message = forms.CharField(
        label="First message",
        max_length=5000,
        initial="Hello",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Sent right after the conversation opens.",
    )

    def __init__(self, *args, apps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client_id"].choices = [(app.client_id, app.name) for app in apps]

    def clean(self):
        data = super().clean()
        campaign, engagement = data.get("campaign_id"), data.get("engagement_id")
        if bool(campaign) != bool(engagement):
            # campaignInfo carries both or neither (docs/LIVEPERSON.md, 'Send API: CONVERSATION').
            self.add_error(
                "engagement_id" if campaign else "campaign_id",
                "Give both campaign and engagement ids, or neither.",
            )
        features = data.get("features") or []
        if data.get("survey_skill_id") and starting.survey_features_missing(features):
            # LivePerson would open the conversation and never run the survey.
            self.add_error("survey_skill_id", starting.survey_features_message(features))
        return data

    def start_options(self) -> starting.StartOptions:
        data = self.cleaned_data
        return starting.StartOptions(
            consumer_name=data["consumer_name"],
            features=data["features"],
            campaign_id=data["campaign_id"],
            engagement_id=data["engagement_id"],
            skill_id=data["skill_id"],
            survey_skill_id=data["survey_skill_id"],
            ttr=data["ttr"],
            consumer_info=self.consumer_info(),
            new_consumer=data["new_consumer"],
        )
