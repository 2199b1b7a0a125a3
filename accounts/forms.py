from django import forms
from django.core.validators import RegexValidator

from accounts.models import AccessToken


class LoginForm(forms.Form):
    account_id = forms.CharField(
        label="Account ID",
        max_length=64,
        validators=[
            RegexValidator(r"^[A-Za-z0-9_-]+$", "An account ID has only letters, digits, '-' and '_'.")
        ],
        widget=forms.TextInput(attrs={"autocomplete": "organization", "autofocus": True}),
    )
    login_name = forms.CharField(
        label="Login name", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label="Password",
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_account_id(self):
        return self.cleaned_data["account_id"].strip()

    def focus_password(self) -> None:
        """After a refused login the password is the field to type again (it is never
        shown back), so it gets the focus instead of the account ID."""
        self.fields["account_id"].widget.attrs.pop("autofocus", None)
        self.fields["password"].widget.attrs["autofocus"] = True


class AccessTokenCreateForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="Where the token is used, e.g. “laptop forwarder”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    scope = forms.ChoiceField(
        label="Scope", choices=AccessToken.SCOPE_CHOICES, initial=AccessToken.SCOPE_READ
    )
