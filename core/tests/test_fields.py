"""EncryptedTextField, through Installation's client secret and the real database."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from apps_admin.models import Installation
from core import crypto

pytestmark = pytest.mark.django_db


def _installation(secret: str) -> Installation:
    return Installation.objects.create(
        account_id="90000001", client_id="app-1", name="Bot", client_secret=secret
    )


def _column(installation: Installation) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT client_secret_encrypted FROM {Installation._meta.db_table} WHERE id = %s",
            [installation.pk],
        )
        return cursor.fetchone()[0]


def test_it_round_trips_through_the_database():
    created = _installation("s3cret-value")

    assert Installation.objects.get(pk=created.pk).client_secret == "s3cret-value"
    assert Installation.objects.values_list("client_secret", flat=True).get() == "s3cret-value"


def test_the_column_holds_ciphertext():
    stored = _column(_installation("s3cret-value"))

    assert "s3cret-value" not in stored
    assert crypto.decrypt(stored) == "s3cret-value"


def test_an_assigned_value_is_encrypted_on_save():
    installation = _installation("first")
    installation.client_secret = "second"
    installation.save(update_fields=["client_secret"])

    assert crypto.decrypt(_column(installation)) == "second"
    assert Installation.objects.get().client_secret == "second"


def test_an_update_query_encrypts_too():
    installation = _installation("first")

    Installation.objects.filter(pk=installation.pk).update(client_secret="second")

    assert crypto.decrypt(_column(installation)) == "second"


def test_an_old_key_still_decrypts_during_rotation(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    installation = _installation("s3cret-value")

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    loaded = Installation.objects.get()
    loaded.save()

    assert loaded.client_secret == "s3cret-value"
    # Saved again, it is written with the newest key alone.
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert Installation.objects.get().client_secret == "s3cret-value"
    assert crypto.decrypt(_column(installation)) == "s3cret-value"


def test_a_value_under_an_unknown_key_is_an_error(settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    _installation("s3cret-value")

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(crypto.InvalidToken):
        Installation.objects.get()


def test_an_empty_value_stays_empty():
    installation = _installation("")

    assert _column(installation) == ""
    assert Installation.objects.get().client_secret == ""
    assert Installation.objects.filter(client_secret="").count() == 1


def test_it_is_not_editable_in_forms():
    assert Installation._meta.get_field("client_secret").editable is False
