"""Every method of the Python library's API, with its return values, on a
native folder: values keep their Python types."""

import uuid

import pytest

from fluxdb import CollectionNotFoundError, FluxDB


def users(db):
    db.create_collection("users", indexed_fields=["age", "status"])
    return [
        db.insert("users", {"name": "Alice", "age": 30, "status": "active"}),
        db.insert("users", {"name": "Bob", "age": 25, "status": "pending"}),
        db.insert("users", {"name": "Carol", "age": 41, "status": "active"}),
        db.insert("users", {"name": "Dan", "age": 19, "status": "inactive"}),
    ]


def test_create_drop_clear_return_booleans(db):
    assert db.create_collection("users", indexed_fields=["age"]) is True
    assert db.create_collection("users") is False
    assert db.list_collections() == ["users"]
    db.insert("users", {"age": 1})
    assert db.clear_collection("users") is True
    assert db.count("users") == 0
    assert db.list_collections() == ["users"]
    assert db.clear_collection("nope") is False
    assert db.drop_collection("users") is True
    assert db.drop_collection("users") is False
    assert db.list_collections() == []


def test_list_collections_is_sorted(db):
    for name in ["b", "c", "a"]:
        db.create_collection(name)
    assert db.list_collections() == ["a", "b", "c"]


def test_insert_returns_a_uuid_and_keeps_types(db):
    record = {
        "name": "Alice",
        "age": 30,
        "score": 1.5,
        "big": 2**63 + 5,
        "neg": -(2**63),
        "active": True,
        "nothing": None,
        "tags": ["a", 1, 2.0, False, None, [1]],
        "address": {"city": "Oslo", "zip": 150},
        "empty": "",
        "text": "ünïcødé ✓ 😀\n\"quoted\"",
    }
    record_id = db.insert("users", dict(record))
    assert uuid.UUID(record_id).version == 4
    [found] = db.find("users")
    assert list(found) == ["_id", *record]
    assert found == {"_id": record_id, **record}
    for key, value in record.items():
        assert type(found[key]) is type(value), key
    assert isinstance(found["tags"][2], float)


def test_types_survive_reopening(db_path):
    with FluxDB(str(db_path)) as db:
        db.insert("t", {"_id": "1", "i": 7, "f": 7.0, "b": False, "n": None, "l": (1, 2)})
    with FluxDB(str(db_path)) as db:
        assert db.find("t") == [{"_id": "1", "i": 7, "f": 7.0, "b": False, "n": None, "l": [1, 2]}]
        assert type(db.find("t")[0]["f"]) is float


def test_insert_keeps_a_callers_id_and_the_record_is_not_changed(db):
    data = {"_id": "alice", "name": "Alice"}
    assert db.insert("users", data) == "alice"
    assert data == {"_id": "alice", "name": "Alice"}
    other = {"name": "Bob"}
    db.insert("users", other)
    assert other == {"name": "Bob"}, "the caller's dict gets no _id"


def test_insert_creates_a_missing_collection(db):
    db.insert("auto", {"x": 1})
    assert db.list_collections() == ["auto"]


def test_insert_many_returns_ids_in_order(db):
    ids = db.insert_many("users", [{"name": "Bob"}, {"_id": "c", "name": "Charlie"}])
    assert len(ids) == 2 and ids[1] == "c"
    assert [r["_id"] for r in db.find("users")] == ids
    assert db.insert_many("users", []) == []
    assert db.insert_many("users", ({"n": i} for i in range(3)))[0] != ids[0]
    assert db.count("users") == 5


def test_find_filters_sorts_skips_and_limits(db):
    users(db)
    assert [r["name"] for r in db.find("users")] == ["Alice", "Bob", "Carol", "Dan"]
    assert [r["name"] for r in db.find("users", {"status": "active"})] == ["Alice", "Carol"]
    assert [r["name"] for r in db.find("users", {"age": {"$gt": 20, "$lt": 40}})] == ["Alice", "Bob"]
    assert [r["name"] for r in db.find("users", {"status": {"$in": ["active", "pending"]}})] == [
        "Alice",
        "Bob",
        "Carol",
    ]
    by_age = db.find("users", sort={"age": 1})
    assert [r["age"] for r in by_age] == [19, 25, 30, 41]
    assert [r["age"] for r in db.find("users", sort={"age": -1}, limit=2)] == [41, 30]
    assert [r["age"] for r in db.find("users", sort={"age": 1}, skip=1, limit=2)] == [25, 30]
    assert db.find("users", query={}, skip=10) == []
    assert db.find("users", query=None, limit=None, skip=0, sort=None) == db.find("users")
    assert db.find("users", {"name": "Nobody"}) == []
    assert db.find("users", {"name": "Alice"})[0]["_id"]


def test_find_slices_as_the_python_library_did(db):
    # records[skip:][:limit]: limit=0 is empty, negative values count from the end.
    users(db)
    names = [r["name"] for r in db.find("users")]
    for skip in [-5, -2, 0, 1, 3, 9]:
        for limit in [None, -3, -1, 0, 1, 2, 10]:
            got = [r["name"] for r in db.find("users", skip=skip, limit=limit)]
            assert got == names[skip:][:limit], (skip, limit)


def test_find_on_a_missing_collection_raises(db):
    with pytest.raises(CollectionNotFoundError, match="nope"):
        db.find("nope")


def test_update_merges_fields_and_applies_operators(db):
    alice, bob, *_ = users(db)
    assert db.update("users", alice, {"status": "inactive", "city": "Oslo"}) is True
    assert db.find("users", {"name": "Alice"}) == [
        {"_id": alice, "name": "Alice", "age": 30, "status": "inactive", "city": "Oslo"}
    ]
    assert db.update("users", bob, {"$inc": {"age": 1}, "$set": {"tags": ["x"]}}) is True
    assert db.find("users", {"name": "Bob"})[0]["age"] == 26
    assert db.update("users", "missing", {"status": "x"}) is False
    assert db.count("users", {"status": "x"}) == 0


def test_update_ignores_an_id_in_merged_fields_as_the_python_library_did(db):
    alice, *_ = users(db)
    assert db.update("users", alice, {"_id": "other", "age": 31}) is True
    assert db.exists("users", alice) and not db.exists("users", "other")
    assert db.find("users", {"_id": alice})[0]["age"] == 31


def test_update_and_delete_on_a_missing_collection_raise(db):
    with pytest.raises(CollectionNotFoundError):
        db.update("nope", "x", {"a": 1})
    with pytest.raises(CollectionNotFoundError):
        db.delete("nope", "x")


def test_delete_returns_false_when_there_is_no_such_record(db):
    alice, *_ = users(db)
    assert db.delete("users", alice) is True
    assert db.delete("users", alice) is False
    assert db.delete("users", "never") is False
    assert db.count("users") == 3


def test_exists(db):
    alice, *_ = users(db)
    assert db.exists("users", alice) is True
    assert db.exists("users", "nope") is False
    assert db.exists("no-collection", alice) is False


def test_count(db):
    users(db)
    assert db.count("users") == 4
    assert db.count("users", {"status": "active"}) == 2
    assert db.count("users", {"age": {"$gt": 100}}) == 0
    assert db.count("missing") == 0
    assert db.count("missing", {"a": 1}) == 0


def test_aggregate(db):
    db.insert_many(
        "products",
        [
            {"category": "books", "price": 10},
            {"category": "games", "price": 30},
            {"category": "books", "price": 5},
        ],
    )
    result = db.aggregate(
        "products",
        [
            {"$group": {"_id": "$category", "count": {"$count": 1}, "total": {"$sum": "$price"}}},
            {"$sort": {"_id": 1}},
        ],
    )
    assert result == [
        {"_id": "books", "count": 2, "total": 15},
        {"_id": "games", "count": 1, "total": 30},
    ]
    assert db.aggregate("products", [{"$match": {"price": {"$gt": 8}}}, {"$count": "n"}]) == [{"n": 2}]
    assert db.aggregate("missing", [{"$group": {"_id": None}}]) == []


def test_export_and_import(db, tmp_path):
    users(db)
    backup = tmp_path / "users_backup.fdb"
    assert db.export_collection("users", str(backup)) is True
    assert backup.exists()
    assert db.export_collection("missing", str(tmp_path / "x.fdb")) is False
    before = db.find("users")
    db.clear_collection("users")
    assert db.import_collection("users", str(backup)) is True
    assert db.find("users") == before
    assert db.import_collection("copy", backup) is True, "a path object is taken too"
    assert db.find("copy") == before
    assert db.find("copy", {"age": 30})[0]["name"] == "Alice", "indexes rebuilt"
    assert db.import_collection("users", str(tmp_path / "absent.fdb")) is False


def test_indexed_queries_answer_as_a_scan_does(db):
    db.create_collection("t", indexed_fields=["n", "s"])
    db.insert_many("t", [{"n": i % 7, "s": str(i % 3), "i": i} for i in range(200)])
    for query in [{"n": 3}, {"n": {"$gt": 2, "$lt": 5}}, {"s": {"$in": ["1", "2"]}}, {"n": 3, "s": "0"}]:
        expected = [r for r in db.find("t") if all(_matches(r, k, v) for k, v in query.items())]
        assert db.find("t", query) == expected, query
        assert db.count("t", query) == len(expected)


def _matches(record, key, condition):
    value = record.get(key)
    if not isinstance(condition, dict):
        return value == condition
    ok = True
    for op, operand in condition.items():
        ok = ok and {"$gt": lambda: value > operand, "$lt": lambda: value < operand, "$in": lambda: value in operand}[op]()
    return ok


def test_db_path_is_absolute(db, db_path):
    assert db.db_path == str(db_path.resolve())


def test_a_path_object_opens_the_database(db_path):
    with FluxDB(db_path) as db:
        db.insert("t", {"a": 1})
    assert (db_path / "t.fdb").exists()


def test_a_transaction_over_two_collections_is_durable(db_path):
    with FluxDB(str(db_path)) as db:
        db.create_collection("accounts", indexed_fields=["owner"])
        db.begin_transaction()
        db.insert("accounts", {"owner": "a", "balance": 10})
        db.insert("log", {"event": "opened"})
        db.commit()
        db.begin_transaction()
        db.insert("accounts", {"owner": "b", "balance": 5})
        db.insert("log", {"event": "lost"})
        db.rollback()
    with FluxDB(str(db_path)) as db:
        assert [r["owner"] for r in db.find("accounts")] == ["a"]
        assert [r["event"] for r in db.find("log")] == ["opened"]
        assert db.find("accounts", {"owner": "a"})[0]["balance"] == 10


def test_a_generator_that_fails_midway_inserts_nothing(db):
    def records():
        yield {"n": 1}
        raise OSError("source went away")

    with pytest.raises(OSError, match="source went away"):
        db.insert_many("t", records())
    assert db.list_collections() == []


def test_find_iter_on_a_missing_collection_raises(db):
    with pytest.raises(CollectionNotFoundError):
        db.find_iter("nope")


def test_query_operators_beyond_the_library(db):
    users(db)
    assert [r["name"] for r in db.find("users", {"$or": [{"age": {"$gte": 41}}, {"name": "Bob"}]})] == ["Bob", "Carol"]
    assert [r["name"] for r in db.find("users", {"name": {"$regex": "^c", "$options": "i"}})] == ["Carol"]
    assert db.count("users", {"status": {"$ne": "active"}}) == 2
