"""Model fields of our own."""

from django.db import models

from core import crypto


class EncryptedTextField(models.TextField):
    """Text encrypted at rest with core.crypto (Fernet, FIELD_ENCRYPTION_KEYS).

    The model sees plaintext; the column holds a Fernet token, written with the
    newest key and read with any configured one. The empty string stays empty,
    so "no secret" needs no key. Fernet tokens differ on every write, so the
    field cannot be filtered on except for being empty. It is not editable by
    default: a secret never appears in a model form or the admin.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("editable") is False:
            del kwargs["editable"]
        else:
            kwargs["editable"] = True
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        return crypto.decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return crypto.encrypt(value) if value else value
