"""Encrypted value fields: ciphertext in MongoDB, plaintext in results; never filtered, embedded."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet

from langgraph_genesis_memory import GenesisStore
from langgraph_genesis_memory.embeddings import HashEmbeddings
from langgraph_genesis_memory.errors import (
    ConfigurationError,
    InvalidArgumentError,
    InvalidFilterError,
)
from langgraph_genesis_memory.store._crypto import PREFIX
from langgraph_genesis_memory.store._documents import item_id
from tests.conftest import Api

KEY = Fernet.generate_key().decode()
VALUE = {"name": "Ann", "ssn": "123-45-6789", "contact": {"email": "ann@example.com", "tel": "5"}}


def _store(astore: GenesisStore, key: str = KEY, **kwargs: Any) -> GenesisStore:
    return GenesisStore(client=astore.client, async_client=astore.async_client,
                        database=astore.database, encrypt_fields=["ssn", "contact.email"],
                        encryption_key=key, **kwargs)  # fmt: skip


async def test_fields_are_encrypted_at_rest_and_decrypted_in_results(
    astore: GenesisStore, mode: str
) -> None:
    api = Api(_store(astore), mode)
    await api.put(("user", "t1", "ann"), "profile", VALUE)
    assert (await api.get(("user", "t1", "ann"), "profile")).value == VALUE
    (found,) = await api.search(("user",), filter={"name": "Ann"})
    assert found.value == VALUE
    doc = astore.client[astore.database]["store"].find_one(
        {"_id": item_id(("user", "t1", "ann"), "profile")}
    )
    stored = doc["value"]
    assert stored["name"] == "Ann" and stored["contact"]["tel"] == "5"
    for secret in (stored["ssn"], stored["contact"]["email"]):
        assert secret.startswith(PREFIX) and "123" not in secret and "ann@" not in secret
    assert VALUE["contact"]["email"] == "ann@example.com"  # the caller's value is untouched
    # without the key the store returns the ciphertext, never fails
    plain = await Api(astore, mode).get(("user", "t1", "ann"), "profile")
    assert plain.value["ssn"].startswith(PREFIX)


async def test_encrypted_fields_cannot_be_filtered_or_indexed(
    astore: GenesisStore, mode: str
) -> None:
    store = _store(astore)
    api = Api(store, mode)
    await api.put(("user", "t1", "ann"), "profile", VALUE)
    for bad in ({"ssn": "123-45-6789"}, {"contact": {"email": "x"}}, {"contact.email": "x"}):
        with pytest.raises(InvalidFilterError):
            await api.search(("user",), filter=bad)
    with pytest.raises(InvalidArgumentError):
        await api.put(("user", "t1", "ann"), "p2", VALUE, index=["ssn"])
    with pytest.raises(ConfigurationError):
        _store(astore, index={"dims": 8, "embed": HashEmbeddings(8), "fields": ["contact.email"]})
    assert len(await api.search(("user",))) == 1


def test_keys_come_from_the_environment_and_rotate(
    astore: GenesisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GENESIS_ENCRYPTION_KEY", raising=False)
    with pytest.raises(ConfigurationError):
        GenesisStore(client=astore.client, encrypt_fields=["ssn"])
    with pytest.raises(ConfigurationError):
        _store(astore, key="not a key")
    monkeypatch.setenv("GENESIS_ENCRYPTION_KEY", KEY)
    old = GenesisStore(client=astore.client, database=astore.database, encrypt_fields=["ssn"])
    old.put(("user", "t1", "bob"), "p", {"ssn": "999"})
    new_key = Fernet.generate_key().decode()
    rotated = _store(astore, key=f"{new_key},{KEY}")
    assert rotated.get(("user", "t1", "bob"), "p").value == {"ssn": "999"}
    rotated.put(("user", "t1", "bob"), "p", {"ssn": "998"})
    only_new = _store(astore, key=new_key)
    assert only_new.get(("user", "t1", "bob"), "p").value == {"ssn": "998"}
