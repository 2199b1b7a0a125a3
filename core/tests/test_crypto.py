import pytest
from cryptography.fernet import Fernet

from core import crypto


def test_it_round_trips_without_storing_the_plaintext():
    token = crypto.encrypt("s3cret-value")

    assert "s3cret-value" not in token
    assert crypto.decrypt(token) == "s3cret-value"


def test_the_key_comes_from_the_settings(settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    token = crypto.encrypt("x")

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(crypto.InvalidToken):
        crypto.decrypt(token)


def test_old_keys_still_decrypt_during_rotation(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    token = crypto.encrypt("x")

    settings.FIELD_ENCRYPTION_KEYS = [new, old]

    assert crypto.decrypt(token) == "x"


def test_without_keys_it_derives_one_from_the_secret_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    token = crypto.encrypt("x")

    settings.SECRET_KEY = "another-secret-key-" * 3

    with pytest.raises(crypto.InvalidToken):
        crypto.decrypt(token)
