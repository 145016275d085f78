"""Links and time next to the store's other guarantees: access policies, encrypted fields,
erasure, collections set up by an earlier version (schema < 3), and data that already uses the
reserved field names (``reserved_fields=False``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from langgraph.store.base import PutOp

from langgraph_genesis_memory import AccessPolicy, GenesisStore
from langgraph_genesis_memory.access import AccessRule
from langgraph_genesis_memory.errors import (
    AccessDeniedError,
    BackupFormatError,
    ConfigurationError,
    InvalidArgumentError,
    InvalidFilterError,
    InvalidValueError,
)
from langgraph_genesis_memory.ops import backup, restore
from langgraph_genesis_memory.store._crypto import PREFIX
from langgraph_genesis_memory.store._documents import decode_path, item_id

POLICY = AccessPolicy(
    [
        AccessRule(("notes", "**"), frozenset({"read", "write"}), agent_id="writer"),
        AccessRule(("notes", "**"), frozenset({"read"}), agent_id="reader"),
        AccessRule(("scratch", "**"), frozenset({"read", "write"}), agent_id="reader"),
        AccessRule(("scratch", "**"), frozenset({"read", "write"}), agent_id="stranger"),
    ]
)


def _doc(store: GenesisStore, namespace: tuple[str, ...], key: str) -> dict:
    coll = store.client[store.database][store.collection_name]
    return coll.find_one({"_id": item_id(namespace, key)})


def _links(store: GenesisStore, namespace: tuple[str, ...], key: str) -> list[str]:
    return sorted("/".join(decode_path(t)) for t in _doc(store, namespace, key).get("link_to", []))


@pytest.fixture
def guarded(store: GenesisStore) -> GenesisStore:
    store.setup()
    store.batch(
        [
            PutOp(("notes",), "a", {"text": "a"}),
            PutOp(("notes",), "b", {"text": "b"}),
            PutOp(("scratch",), "s", {"text": "s"}),
        ]
    )
    return GenesisStore(client=store.client, database=store.database, access=POLICY)


def test_link_unlink_and_supersede_act_as_the_principal(guarded: GenesisStore) -> None:
    writer = guarded.as_principal(agent_id="writer")
    reader = guarded.as_principal(agent_id="reader")
    stranger = guarded.as_principal(agent_id="stranger")
    # read-only on notes: may not rewrite a note, nor end one
    with pytest.raises(AccessDeniedError):
        reader.link(("notes",), "a", ("notes",), "b")
    with pytest.raises(AccessDeniedError):
        reader.supersede(("scratch",), "s2", {"text": "new"}, replaces=(("notes",), "a"))
    # may not link to an item it cannot read: the error would tell it exists
    with pytest.raises(AccessDeniedError):
        stranger.link(("scratch",), "s", ("notes",), "a")
    # a store with a policy and no principal refuses too
    with pytest.raises(AccessDeniedError):
        guarded.unlink(("notes",), "a", ("notes",), "b")
    assert _links(guarded, ("notes",), "a") == []
    assert _links(guarded, ("scratch",), "s") == []
    # allowed: reader may write scratch and read notes, so it may link scratch -> notes
    assert reader.link(("scratch",), "s", ("notes",), "a", type="cites") is True
    assert _links(guarded, ("scratch",), "s") == ["notes/a"]
    assert writer.link(("notes",), "a", ("notes",), "b") is True
    assert writer.unlink(("notes",), "a", ("notes",), "b") is True
    writer.supersede(("notes",), "a2", {"text": "a, later"}, replaces="a")
    assert _doc(guarded, ("notes",), "a")["value"]["superseded_by"]["key"] == "a2"


def test_links_rewrite_encrypted_fields_once(store: GenesisStore) -> None:
    key = Fernet.generate_key().decode()
    secret = GenesisStore(client=store.client, database=store.database,
                          encrypt_fields=["ssn"], encryption_key=key)  # fmt: skip
    secret.setup()
    secret.put(("people",), "ann", {"name": "Ann", "ssn": "123-45-6789"})
    secret.put(("people",), "bob", {"name": "Bob"})
    assert secret.link(("people",), "ann", ("people",), "bob", type="knows")
    secret.supersede(("people",), "ann2", {"name": "Ann", "ssn": "987"}, replaces="ann")
    old = secret.get(("people",), "ann")
    assert old is not None and old.value["ssn"] == "123-45-6789"  # decrypts to the plaintext
    assert old.value["relationships"] == [{"namespace": ["people"], "key": "bob", "type": "knows"}]
    stored = _doc(secret, ("people",), "ann")["value"]["ssn"]
    assert stored.startswith(PREFIX) and "123" not in stored
    assert secret.get(("people",), "ann2").value["ssn"] == "987"
    fresh = _doc(secret, ("people",), "ann2")["value"]["ssn"]  # the new fact is sealed too
    assert fresh.startswith(PREFIX) and "987" not in fresh


def test_fields_the_store_reads_cannot_be_encrypted(store: GenesisStore) -> None:
    key = Fernet.generate_key().decode()
    for field in ("relationships", "valid_from", "valid_to", "superseded_by"):
        with pytest.raises(ConfigurationError, match="links and validity"):
            GenesisStore(client=store.client, database=store.database,
                         encrypt_fields=[field], encryption_key=key)  # fmt: skip


def test_purge_removes_other_items_links_to_what_it_erases(store: GenesisStore) -> None:
    store.setup()
    store.put(("user", "t1", "ann"), "profile", {"text": "Ann"})
    store.put(
        ("shared",),
        "memo",
        {"text": "memo", "relationships": [{"namespace": ["user", "t1", "ann"], "key": "profile"}]},
    )
    assert _links(store, ("shared",), "memo") == ["user/t1/ann/profile"]
    receipt = store.purge(prefix=("user", "t1"))
    assert receipt.items == 1
    assert _links(store, ("shared",), "memo") == []
    assert store.get(("shared",), "memo") is not None  # the linking item itself stays


def test_a_collection_set_up_before_schema_3_must_be_set_up_again(store: GenesisStore) -> None:
    store.setup()
    store.put(("old",), "k", {"text": "written before"})
    coll = store.client[store.database][store.collection_name]
    # what an earlier version left: no validity fields, its schema recorded as 2
    coll.update_one({"_id": item_id(("old",), "k")},
                    {"$unset": {"valid_from_ms": "", "valid_to_ms": ""}})  # fmt: skip
    migrations = store.client[store.database]["genesis_migrations"]
    migrations.update_one({"_id": f"store:{store.collection_name}"}, {"$set": {"version": 2}})
    upgraded = GenesisStore(client=store.client, database=store.database)
    with pytest.raises(InvalidFilterError):  # a bad op is refused first, as documented
        upgraded.search(("old",), filter={"$where": "1"})
    with pytest.raises(ConfigurationError, match="setup"):
        upgraded.search(("old",))
    assert upgraded.get(("old",), "k") is not None  # reads by key need no validity
    assert upgraded.setup() == 3
    assert [i.key for i in upgraded.search(("old",))] == ["k"]


def test_reserved_fields_false_stores_those_names_as_given(
    store: GenesisStore, tmp_path: Path
) -> None:
    legacy = {"text": "Ann and Bob", "relationships": "friends", "valid_from": "last spring"}
    with pytest.raises(InvalidValueError, match="relationships"):
        store.put(("people",), "ann", legacy)  # the default store reads these fields
    plain = GenesisStore(client=store.client, database=store.database, reserved_fields=False)
    plain.setup()
    plain.put(("people",), "ann", legacy)
    assert plain.get(("people",), "ann").value == legacy
    assert [i.key for i in plain.search(("people",))] == ["ann"]
    assert _links(plain, ("people",), "ann") == []
    with pytest.raises(ConfigurationError, match="reserved_fields"):
        plain.link(("people",), "ann", ("people",), "ann")
    # a backup of such items restores into a store with the same setting, not the default's
    path = tmp_path / "legacy.jsonl.gz"
    backup(plain, path, progress=False)
    plain.delete(("people",), "ann")
    assert restore(plain, path, progress=False).items_restored == 1
    assert [i.key for i in plain.search(("people",))] == ["ann"]
    reading = GenesisStore(client=store.client, database=store.database, collection="other")
    with pytest.raises(BackupFormatError, match="relationships"):
        restore(reading, path, progress=False)


def test_a_graph_walk_never_reaches_what_the_principal_cannot_read(guarded: GenesisStore) -> None:
    admin = GenesisStore(client=guarded.client, database=guarded.database)
    admin.put(("scratch",), "s", {"text": "tea notes", "relationships": [
        {"namespace": ["notes"], "key": "a"}]})  # fmt: skip
    admin.put(("notes",), "a", {"text": "about the tea"})
    stranger = guarded.as_principal(agent_id="stranger")  # reads scratch only
    reader = guarded.as_principal(agent_id="reader")  # reads scratch and notes
    for depth in (1, 2):
        seen = {
            (i.namespace, i.key)
            for i in stranger.search((), query="tea", search_mode="graph", graph_depth=depth)
        }
        assert seen == {(("scratch",), "s")}
    seen = {(i.namespace, i.key) for i in reader.search((), query="notes", search_mode="graph")}
    assert (("notes",), "a") in seen  # the same walk reaches it for a principal who may read it


def test_supersede_checks_the_new_item_before_any_io(store: GenesisStore) -> None:
    store.setup()
    coll = store.client[store.database][store.collection_name]
    for bad in ({"ttl": -1}, {"index": "text"}):
        with pytest.raises(InvalidArgumentError):  # the old item does not even exist
            store.supersede(("n",), "new", {"text": "x"}, replaces="missing", **bad)
    with pytest.raises(InvalidValueError, match="relationships"):
        store.supersede(("n",), "new", {"text": "x", "relationships": "friends"}, replaces="old")
    assert coll.count_documents({}) == 0
