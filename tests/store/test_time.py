"""Time on items (issue 15): event time, superseded facts, ``as_of``, recency and dates in
queries, against the local MongoDB-compatible server."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from langgraph.store.base import PutOp

from langgraph_genesis_memory import GenesisStore, InvalidArgumentError, InvalidValueError
from langgraph_genesis_memory.store._documents import NEVER_MS, item_id
from langgraph_genesis_memory.store._time import resolve_periods
from tests.store.conftest import FakeClock

_names = itertools.count()


def make_store(client, database, **kwargs) -> GenesisStore:
    store = GenesisStore(client=client, database=database, collection=f"t{next(_names)}", **kwargs)
    store.setup()
    return store


def keys(items) -> list[str]:
    return [i.key for i in items]


def test_a_superseded_fact_is_not_current_but_is_true_as_of_before(mongo_client, database_name):
    store = make_store(mongo_client, database_name)
    store.put(("user",), "city-1", {"text": "Alice lives in Paris", "valid_from": "2019-03-01"})
    store.supersede(
        ("user",),
        "city-2",
        {"text": "Alice lives in Lyon", "valid_from": "2024-06-01T00:00:00Z"},
        replaces="city-1",
    )
    old = store.get(("user",), "city-1").value
    assert old["valid_to"] == "2024-06-01T00:00:00.000Z"
    assert old["superseded_by"] == {"namespace": ["user"], "key": "city-2"}
    new = store.get(("user",), "city-2").value
    assert new["relationships"] == [{"namespace": ["user"], "key": "city-1", "type": "supersedes"}]
    # Current facts by default, for ranked and plain searches alike.
    assert keys(store.search(("user",), query="where does Alice live")) == ["city-2"]
    assert keys(store.search(("user",))) == ["city-2"]
    # What was true then.
    then = datetime(2020, 1, 1, tzinfo=UTC)
    assert keys(store.search(("user",), query="Alice lives", as_of=then)) == ["city-1"]
    assert keys(store.search(("user",), as_of=then)) == ["city-1"]
    before = datetime(2018, 1, 1, tzinfo=UTC)
    assert keys(store.search(("user",), as_of=before)) == []
    later = datetime(2025, 1, 1, tzinfo=UTC)
    assert keys(store.search(("user",), query="Alice", as_of=later)) == ["city-2"]
    # get() still returns the ended item: it is history, not deleted.
    assert store.get(("user",), "city-1") is not None


async def test_supersede_sync_and_async(api):
    await api.put(("f",), "old", {"text": "the meeting is on Monday"})
    await api.supersede(("f",), "new", {"text": "the meeting is on Tuesday"}, replaces="old")
    assert keys(await api.search(("f",))) == ["new"]
    old = (await api.get(("f",), "old")).value
    assert old["superseded_by"]["key"] == "new"
    with pytest.raises(InvalidArgumentError, match="No live item"):
        await api.supersede(("f",), "x", {"text": "x"}, replaces="missing")
    assert await api.get(("f",), "x") is None
    with pytest.raises(InvalidArgumentError, match="itself"):
        await api.supersede(("f",), "new", {"text": "x"}, replaces="new")


def test_valid_to_written_by_the_caller_ends_a_fact(mongo_client, database_name):
    clock = FakeClock()
    store = make_store(mongo_client, database_name, clock=clock)
    ends = (clock.now + timedelta(hours=1)).isoformat()
    store.put(("n",), "offer", {"text": "the sale ends soon", "valid_to": ends})
    assert keys(store.search(("n",), query="sale")) == ["offer"]
    clock.advance(120)
    assert keys(store.search(("n",), query="sale")) == []
    # Writing it again without valid_to makes it current again.
    store.put(("n",), "offer", {"text": "the sale is on"})
    assert keys(store.search(("n",), query="sale")) == ["offer"]
    doc = store.client[store.database][store.collection_name].find_one(
        {"_id": item_id(("n",), "offer")}
    )
    assert doc["valid_to_ms"] == NEVER_MS  # current: one range, no $exists


def test_event_time_is_kept_and_recency_ranks_newer_first(mongo_client, database_name):
    store = make_store(mongo_client, database_name)
    store.batch(
        [
            PutOp(
                ("c",), "early", {"text": "we talked about the trip", "valid_from": "2023-01-05"}
            ),
            PutOp(("c",), "late", {"text": "we talked about the trip", "valid_from": "2023-08-05"}),
            PutOp(("c",), "mid", {"text": "we talked about the trip", "valid_from": "2023-04-05"}),
        ]
    )
    coll = store.client[store.database][store.collection_name]
    doc = coll.find_one({"_id": item_id(("c",), "late")})
    assert doc["valid_from_ms"] == int(datetime(2023, 8, 5, tzinfo=UTC).timestamp() * 1000)
    plain = store.search(("c",), query="trip")
    assert keys(plain) == ["early", "late", "mid"]  # equal scores: ties by key
    recent = store.search(("c",), query="trip", recency_weight=5.0)
    assert keys(recent) == ["late", "mid", "early"]  # RRF: weight 5 outweighs the ties
    # An item written without valid_from keeps the time of its first write as event time.
    store.put(("c",), "now", {"text": "trip"})
    first = coll.find_one({"_id": item_id(("c",), "now")})["valid_from_ms"]
    store.put(("c",), "now", {"text": "trip again"})
    assert coll.find_one({"_id": item_id(("c",), "now")})["valid_from_ms"] == first


def test_dates_in_the_query_are_resolved_against_a_reference_time(mongo_client, database_name):
    store = make_store(mongo_client, database_name)
    store.batch(
        [
            PutOp(("c",), "sat", {"text": "Melanie went to a concert", "valid_from": "2023-05-20"}),
            PutOp(("c",), "mon", {"text": "Melanie went to a concert", "valid_from": "2023-05-15"}),
            PutOp(
                ("c",), "june", {"text": "Melanie went to a concert", "valid_from": "2023-06-02"}
            ),
        ]
    )
    reference = datetime(2023, 5, 25, 12, tzinfo=UTC)  # a Thursday
    query = "what did Melanie do last Saturday"
    got = store.search(("c",), query=query, resolve_dates=True, reference_time=reference)
    assert keys(got)[0] == "sat"
    assert keys(store.search(("c",), query=query))[0] == "june"  # without dates: ties by key
    may = store.search(("c",), query="concert in June 2023", resolve_dates=True)
    assert keys(may)[0] == "june"


def test_resolve_periods_widens_to_the_period_named():
    reference = datetime(2023, 5, 25, 12, tzinfo=UTC)
    [month] = resolve_periods("in May 2023", reference)
    assert (month.start_ms, month.end_ms) == (
        int(datetime(2023, 5, 1, tzinfo=UTC).timestamp() * 1000),
        int(datetime(2023, 6, 1, tzinfo=UTC).timestamp() * 1000),
    )
    [day] = resolve_periods("yesterday", reference)
    assert day.start_ms == int(datetime(2023, 5, 24, tzinfo=UTC).timestamp() * 1000)
    assert resolve_periods("what does she like", reference) == []


@pytest.mark.parametrize(
    "value",
    [
        {"valid_from": "yesterday"},
        {"valid_from": "2023-05-08T10:00:00"},  # no timezone
        {"valid_from": 5},
        {"valid_to": "2023-01-01", "valid_from": "2023-02-01"},
        {"superseded_by": "k"},
    ],
)
def test_bad_time_fields_are_rejected_before_any_write(store, value):
    with pytest.raises(InvalidValueError):
        store.batch([PutOp(("n",), "ok", {"v": 1}), PutOp(("n",), "bad", {"text": "x", **value})])
    assert store.get(("n",), "ok") is None and store.get(("n",), "bad") is None


def test_bad_time_options_are_rejected_before_any_io(store):
    naive = datetime(2023, 1, 1)
    for kwargs in (
        {"as_of": naive},
        {"as_of": "2023-01-01"},
        {"reference_time": naive},
        {"recency_weight": -1},
        {"resolve_dates": "yes"},
    ):
        with pytest.raises(InvalidArgumentError):
            store.search(("n",), query="x", **kwargs)
    store.put(("n",), "a", {"v": 1})
    with pytest.raises(InvalidArgumentError):
        store.supersede(("n",), "b", {"v": 2}, replaces="a", at=naive)
    with pytest.raises(InvalidArgumentError, match="cannot end"):
        store.supersede(("n",), "b", {"v": 2}, replaces="a", at=datetime(2000, 1, 1, tzinfo=UTC))
    assert store.get(("n",), "b") is None


def test_setup_gives_items_of_version_2_a_validity(mongo_client, database_name):
    db = mongo_client[database_name]
    store = make_store(mongo_client, database_name)
    store.put(("n",), "old", {"text": "written before event times"})
    coll = db[store.collection_name]
    # What version 2 wrote: no validity fields.
    coll.update_many({}, {"$unset": {"valid_from_ms": "", "valid_to_ms": ""}})
    db["genesis_migrations"].update_one(
        {"_id": f"store:{store.collection_name}"}, {"$set": {"version": 2}}
    )
    assert keys(store.search(("n",), query="written")) == []  # not current until set up
    assert store.setup() == 3
    doc = coll.find_one({"_id": item_id(("n",), "old")})
    assert (doc["valid_from_ms"], doc["valid_to_ms"]) == (0, NEVER_MS)
    assert keys(store.search(("n",), query="written")) == ["old"]
    assert keys(store.search(("n",), as_of=datetime(2001, 1, 1, tzinfo=UTC))) == ["old"]
