"""Consumer info the agent sees: SDEs (engagement attributes) of the Customer Info
(`ctmrinfo`) and Personal Info (`personal`) types, sent in SetUserProfile's
`authenticatedData.lp_sdes`, at conversation open and later through SEND
(docs/LIVEPERSON.md, 'Consumer info (SDEs)').

The chat offers a fixed set of fields, each mapped to its place in an SDE; empty
fields are left out, and an SDE without any field is not sent.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SdeField:
    label: str
    sde: str  # "ctmrinfo" or "personal"
    key: str  # the key in the SDE's `info` or `personal` object
    contact: bool = False  # personal.contacts[0].<key>


FIELDS = {
    "customer_id": SdeField("Customer id", "ctmrinfo", "customerId"),
    "customer_type": SdeField("Customer type (ctype)", "ctmrinfo", "ctype"),
    "customer_status": SdeField("Customer status (cstatus)", "ctmrinfo", "cstatus"),
    "social_id": SdeField("Social id", "ctmrinfo", "socialId"),
    "first_name": SdeField("First name", "personal", "firstname"),
    "last_name": SdeField("Last name", "personal", "lastname"),
    "email": SdeField("Email", "personal", "email", contact=True),
    "phone": SdeField("Phone", "personal", "phone", contact=True),
    "gender": SdeField("Gender", "personal", "gender"),
    "language": SdeField("Language", "personal", "language"),
    "company": SdeField("Company", "personal", "company"),
}
GENDERS = ("MALE", "FEMALE", "OTHER")
MAX_CHARS = 128
# Where each SDE type keeps its values (developer-center assets/schema/userprofile/*.json).
VALUES_KEY = {"ctmrinfo": "info", "personal": "personal"}


def lp_sdes(values: dict[str, str]) -> list[dict]:
    """The `lp_sdes` array for the given field values (cleaned: see chat.forms.ConsumerInfoForm)."""
    sdes: dict[str, dict] = {}
    for name, spec in FIELDS.items():
        value = (values.get(name) or "").strip()
        if not value:
            continue
        sde = sdes.setdefault(spec.sde, {"type": spec.sde, VALUES_KEY[spec.sde]: {}})
        target = sde[VALUES_KEY[spec.sde]]
        if spec.contact:
            contacts = target.setdefault("contacts", [{}])
            contacts[0][spec.key] = value
        else:
            target[spec.key] = value
    return [sdes[kind] for kind in VALUES_KEY if kind in sdes]


def user_profile(*, name: str, values: dict[str, str]) -> dict:
    """SetUserProfile's body: the original app's fields with the chosen name, plus the SDEs
    in `authenticatedData.lp_sdes` when any field is filled (docs/LIVEPERSON.md,
    'Send API: CONVERSATION')."""
    profile = {
        "firstName": name,
        "lastName": "",
        "role": "consumer",
        "description": "Demo connector consumer",
    }
    sdes = lp_sdes(values)
    if sdes:
        profile["authenticatedData"] = {"lp_sdes": sdes}
    return profile
