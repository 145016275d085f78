"""Application-level encryption of sensitive value fields (``GenesisStore(encrypt_fields=...)``).

The values at the listed paths (dotted paths into nested dicts, e.g. ``"ssn"`` or
``"contact.email"``) are encrypted in the process, before the put leaves it, with Fernet
(AES-128-CBC with HMAC-SHA256, from the ``cryptography`` package; the ``encryption`` extra), as
LangGraph's ``EncryptedSerializer`` does for checkpoints. A field is stored as the string
``"genesis-enc:1:<token>"`` (its JSON, encrypted) and decrypted again in every result (``get``,
``search``). MongoDB, the vector index and the word index only ever see the token.

Keys: ``encryption_key=`` or the environment variable ``GENESIS_ENCRYPTION_KEY``: one or more
Fernet keys (``Fernet.generate_key()``) separated by commas. The first encrypts; all decrypt, so a
key is rotated by putting the new one first (items are re-encrypted when next written).

Encrypted fields cannot be searched: a filter on one raises ``InvalidFilterError``, and an
``IndexConfig`` field or a put's ``index=`` path naming one raises (``ConfigurationError``,
``InvalidArgumentError``), before anything is sent. A whole-value index (``"$"``) embeds the other
fields and the token, never the plaintext.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from langgraph.store.base import Item, Op, PutOp, Result, SearchOp

from langgraph_genesis_memory._plans import Plan
from langgraph_genesis_memory.errors import (
    ConfigurationError,
    InvalidArgumentError,
    InvalidFilterError,
    InvalidValueError,
    MissingDependencyError,
)

PREFIX = "genesis-enc:1:"
"""How an encrypted field's stored string starts."""

KEY_ENV = "GENESIS_ENCRYPTION_KEY"
"""The environment variable holding the Fernet key(s), comma-separated."""


def _under(path: str, field: str) -> bool:
    """Whether ``path`` is ``field`` or inside it, or contains it."""
    return path == field or path.startswith(field + ".") or field.startswith(path + ".")


class FieldCipher:
    """Encrypts and decrypts the listed fields of values.

    Args:
        fields: Dotted paths of the fields to encrypt.
        key: Fernet key(s), comma-separated; default ``GENESIS_ENCRYPTION_KEY``.

    Raises:
        ConfigurationError: For no key, a malformed key, or a bad path.
        MissingDependencyError: If ``cryptography`` is not installed.
    """

    def __init__(self, fields: Sequence[str], key: str | None = None) -> None:
        if isinstance(fields, str):
            raise ConfigurationError(f"encrypt_fields must be a list of paths; got {fields!r}.")
        self.fields = [self._path(f) for f in fields]
        try:
            from cryptography.fernet import Fernet, MultiFernet
        except ImportError as exc:  # pragma: no cover - the extra is installed in tests
            raise MissingDependencyError(
                "encrypt_fields needs the cryptography package: "
                "pip install 'langgraph-genesis-memory[encryption]'."
            ) from exc
        raw = key if key is not None else os.environ.get(KEY_ENV, "")
        keys = [k.strip() for k in raw.split(",") if k.strip()]
        if not keys:
            raise ConfigurationError(
                f"encrypt_fields needs a key: pass encryption_key= or set {KEY_ENV} "
                "(Fernet.generate_key(); several, comma-separated, to rotate)."
            )
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                f"{KEY_ENV} must hold Fernet keys (32 url-safe base64-encoded bytes)."
            ) from exc

    @staticmethod
    def _path(path: object) -> list[str]:
        parts = path.split(".") if isinstance(path, str) else [""]
        if not all(p and not p.startswith("$") for p in parts):
            raise ConfigurationError(f"encrypt_fields paths are dotted names; got {path!r}.")
        return parts

    def covers(self, path: str) -> bool:
        """Whether ``path`` (dotted) touches an encrypted field."""
        return any(_under(path, ".".join(f)) for f in self.fields)

    # -- values ----------------------------------------------------------------------------------
    def _map(self, value: Mapping[str, Any], encrypt: bool) -> dict[str, Any]:
        out = dict(value)
        for parts in self.fields:
            parent: Any = out
            for part in parts[:-1]:
                child = parent.get(part) if isinstance(parent, dict) else None
                if not isinstance(child, Mapping):
                    parent = None
                    break
                parent[part] = child = dict(child)  # copy along the path, never in place
                parent = child
            if not isinstance(parent, dict) or parts[-1] not in parent:
                continue
            parent[parts[-1]] = (self._seal if encrypt else self._open)(parent[parts[-1]])
        return out

    def _seal(self, field: Any) -> str:
        try:
            plain = json.dumps(field, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise InvalidValueError(f"An encrypted field must hold JSON data: {exc}.") from exc
        return PREFIX + self._fernet.encrypt(plain.encode()).decode()

    def _open(self, field: Any) -> Any:
        if not isinstance(field, str) or not field.startswith(PREFIX):
            return field  # written before the field was encrypted
        return json.loads(self._fernet.decrypt(field[len(PREFIX) :].encode()))

    # -- ops ---------------------------------------------------------------------------------------
    def check(self, ops: Sequence[Op]) -> None:
        """Refuse ops that would need an encrypted field's plaintext in MongoDB or an index.

        Raises:
            InvalidFilterError: For a search filter on an encrypted field.
            InvalidArgumentError: For a put indexing an encrypted field.
        """
        for op in ops:
            if isinstance(op, SearchOp) and isinstance(op.filter, Mapping):
                hidden = [k for k in op.filter if isinstance(k, str) and self.covers(k)]
                if hidden:
                    raise InvalidFilterError(
                        f"Filter on {hidden[0]!r}: encrypted fields cannot be filtered "
                        "(MongoDB holds only their ciphertext)."
                    )
            if isinstance(op, PutOp) and isinstance(op.value, Mapping):
                if isinstance(op.index, list) and any(
                    isinstance(p, str) and self.covers(p) for p in op.index
                ):
                    raise InvalidArgumentError(
                        f"index={op.index!r} names an encrypted field: encrypted fields cannot "
                        "be embedded or indexed."
                    )

    def seal_ops(self, ops: Sequence[Op]) -> list[Op]:
        """The ops with put values encrypted, after :meth:`check`.

        Raises:
            InvalidFilterError, InvalidArgumentError: As :meth:`check`.
            InvalidValueError: For an encrypted field that is not JSON data.
        """
        self.check(ops)
        return [
            PutOp(op.namespace, op.key, self._map(op.value, True), op.index, op.ttl)
            if isinstance(op, PutOp) and isinstance(op.value, Mapping)
            else op
            for op in ops
        ]

    def open_value(self, value: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of a stored value with its encrypted fields decrypted."""
        return self._map(value, False)

    def open_results(self, results: list[Result]) -> list[Result]:
        """Decrypt the encrypted fields of every item in ``results`` (in place)."""
        for result in results:
            items = result if isinstance(result, list) else [result]
            for item in items:
                if isinstance(item, Item):
                    item.value = self._map(item.value, False)
        return results


def plan_opened(inner: Plan[list[Result]], cipher: FieldCipher) -> Plan[list[Result]]:
    """Run the batch plan ``inner`` and decrypt its results."""
    results = yield from inner
    return cipher.open_results(results)
