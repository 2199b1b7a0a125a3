"""Encryption of secrets at rest with Fernet (AES-128-CBC and HMAC-SHA256, from `cryptography`).

Keys come from FIELD_ENCRYPTION_KEYS (newest first, so old keys can still
decrypt while they are rotated out); without it, one key derived from SECRET_KEY.
"""

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

__all__ = ["InvalidToken", "decrypt", "encrypt"]


def encrypt(plaintext: str) -> str:
    return _fernet(tuple(_keys())).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """The plaintext; raises InvalidToken when no configured key fits."""
    return _fernet(tuple(_keys())).decrypt(token.encode()).decode()


def _keys() -> list[str]:
    return settings.FIELD_ENCRYPTION_KEYS or [_derived_key(settings.SECRET_KEY)]


def _derived_key(secret_key: str) -> str:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"connector_site field encryption")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode())).decode()


@functools.lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])
