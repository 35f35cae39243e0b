"""Secrets at rest (BigCommerce access tokens, webhook secrets): encrypted with ENCRYPTION_KEYS.

The first key encrypts; every key decrypts, so a key can be rotated in without losing old values
(`manage.py rotate_encryption_keys` re-encrypts with the current one). A key may be a Fernet key or any
string, which is stretched into one. With DEBUG on and no keys, one is derived from SECRET_KEY.
"""

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

__all__ = ["EncryptedTextField", "InvalidToken", "decrypt", "encrypt"]


def _as_fernet_key(secret: str) -> bytes:
    try:
        if len(base64.urlsafe_b64decode(secret.encode())) == 32:
            return secret.encode()
    except ValueError:
        pass
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"backorder-at-rest", info=b"fernet").derive(
        secret.encode()
    )
    return base64.urlsafe_b64encode(derived)


@functools.cache
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_as_fernet_key(key)) for key in keys])


def _keys() -> tuple[str, ...]:
    keys = tuple(settings.ENCRYPTION_KEYS) or (settings.SECRET_KEY,)
    return keys


def encrypt(plaintext: str) -> str:
    return _cipher(_keys()).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    return _cipher(_keys()).decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    return _cipher(_keys()).rotate(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """A text column whose value is stored encrypted; empty stays empty."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value)
