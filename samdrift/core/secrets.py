"""Credentials Samdrift must use again itself (a mailbox's IMAP password) are stored encrypted.

A password we must send to another system cannot be hashed; it is encrypted with Fernet
(AES-128-CBC with an HMAC, from PyCA's `cryptography`) under a key derived from
`SAMDRIFT_CREDENTIAL_KEYS` (comma-separated; the first encrypts, every one decrypts, so a key is
rotated by putting the new one first and re-saving) or, when that is unset, from `SECRET_KEY`.
A database dump or backup therefore holds no usable password without the key.

`EncryptedTextField` does it transparently: in Python the value is the plain text, in the database
`enc1:<Fernet token>`. A value that cannot be decrypted (the key was changed) is kept as it is
stored, so the object still loads; `undecryptable()` tells the code that would use it.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

PREFIX = "enc1:"


def _fernet() -> MultiFernet:
    keys = list(settings.SAMDRIFT_CREDENTIAL_KEYS or []) or [settings.SECRET_KEY]
    derived = [
        Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"samdrift-credentials\x00" + key.encode()).digest()))
        for key in keys
    ]
    return MultiFernet(derived)


def encrypt(plain: str) -> str:
    return PREFIX + _fernet().encrypt(plain.encode()).decode("ascii")


def decrypt(stored: str) -> str:
    """The plain text; a value saved before encryption existed is returned as it is."""
    if not stored.startswith(PREFIX):
        return stored
    return _fernet().decrypt(stored[len(PREFIX) :].encode("ascii")).decode()


def undecryptable(value: str | None) -> bool:
    """True for a value loaded from the database that no configured key could decrypt."""
    return bool(value) and value.startswith(PREFIX)  # type: ignore[union-attr]


class EncryptedTextField(models.TextField):
    """Text stored encrypted; read and written as plain text. Not searchable (every write differs)."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if not value:
            return value
        try:
            return decrypt(value)
        except InvalidToken:
            return value  # see undecryptable()

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value or value.startswith(PREFIX):
            return value
        return encrypt(value)
