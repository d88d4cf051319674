"""The exceptions, raised where the Python library raised them, and bad
input: each gets a clear exception and costs no data."""

import datetime
import decimal
import math

import pytest

import fluxdb
from fluxdb import (
    CollectionNotFoundError,
    FluxDB,
    FluxDBError,
    RecordEncodingError,
    TransactionError,
)


@pytest.fixture
def filled(db):
    db.create_collection("users", indexed_fields=["age"])
    db.insert("users", {"_id": "a", "name": "Alice", "age": 30})
    return db


def unchanged(db):
    assert db.find("users") == [{"_id": "a", "name": "Alice", "age": 30}]


def test_the_exceptions_are_importable_and_form_one_family():
    for name in ["FluxDBError", "CollectionNotFoundError", "TransactionError", "RecordEncodingError"]:
        assert name in fluxdb.__all__
    assert issubclass(FluxDBError, Exception)
    for sub in [CollectionNotFoundError, TransactionError, RecordEncodingError]:
        assert issubclass(sub, FluxDBError)
        assert sub.__module__ == "fluxdb"
    assert FluxDBError.__doc__


@pytest.mark.parametrize(
    "record",
    [[1, 2], "text", 5, None, ("a", 1)],
    ids=["list", "str", "int", "None", "tuple"],
)
def test_a_record_that_is_not_a_dict(filled, record):
    with pytest.raises(RecordEncodingError, match="must be a dict"):
        filled.insert("users", record)
    with pytest.raises(RecordEncodingError, match="document 1: .*must be a dict"):
        filled.insert_many("users", [{"ok": 1}, record])
    unchanged(filled)


@pytest.mark.parametrize("bad_id", [7, 1.5, None, ["x"], {"a": 1}, True])
def test_an_id_that_is_not_a_string(filled, bad_id):
    with pytest.raises(RecordEncodingError, match="_id must be a string"):
        filled.insert("users", {"_id": bad_id, "name": "X"})
    unchanged(filled)


def test_an_empty_or_too_long_id(filled):
    with pytest.raises(RecordEncodingError, match="_id cannot be empty"):
        filled.insert("users", {"_id": ""})
    with pytest.raises(RecordEncodingError, match="_id of 2000 bytes"):
        filled.insert("users", {"_id": "x" * 2000})
    unchanged(filled)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (datetime.datetime(2024, 1, 2), "datetime"),
        ({1, 2}, "set"),
        (b"bytes", "bytes"),
        (decimal.Decimal("1.5"), "Decimal"),
        (object(), "object"),
        (math.nan, "NaN"),
        (math.inf, "inf"),
        (2**64, "64 bits"),
        (-(2**63) - 1, "64 bits"),
        ({1: "non-str key"}, "keys must be str"),
    ],
)
def test_a_value_python_cannot_give_json(filled, value, words):
    with pytest.raises(RecordEncodingError, match=words) as raised:
        filled.insert("users", {"name": "X", "field": {"deep": [0, value]}})
    assert "field.deep[1]" in str(raised.value), "the message says where"
    with pytest.raises(RecordEncodingError, match=words):
        filled.update("users", "a", {"age": value})
    with pytest.raises(RecordEncodingError, match=words):
        filled.insert_many("users", [{"n": 1}, {"n": value}])
    unchanged(filled)


def test_a_query_value_python_cannot_give_json(filled):
    with pytest.raises(FluxDBError, match="invalid query: age: a date has no JSON form"):
        filled.find("users", {"age": datetime.date(2024, 1, 1)})
    with pytest.raises(FluxDBError, match="invalid sort"):
        filled.find("users", sort={"age": object()})


def test_a_record_that_contains_itself(filled):
    loop = []
    loop.append(loop)
    with pytest.raises(RecordEncodingError, match="nests deeper"):
        filled.insert("users", {"loop": loop})
    unchanged(filled)


def test_a_record_nested_too_deep_for_the_engine(filled):
    deep = 1
    for _ in range(150):
        deep = [deep]
    with pytest.raises(RecordEncodingError, match="nesting depth"):
        filled.insert("users", {"deep": deep})
    unchanged(filled)


def test_an_unknown_operator_names_it(filled):
    with pytest.raises(FluxDBError, match=r"\$regexp"):
        filled.find("users", {"name": {"$regexp": "A"}})
    with pytest.raises(FluxDBError, match=r"\$bogus"):
        filled.count("users", {"$bogus": 1})
    with pytest.raises(FluxDBError, match=r"\$increment"):
        filled.update("users", "a", {"$increment": {"age": 1}})
    with pytest.raises(FluxDBError, match=r"\$groupBy"):
        filled.aggregate("users", [{"$groupBy": {}}])
    unchanged(filled)


def test_bad_update_and_query_shapes(filled):
    with pytest.raises(FluxDBError, match="invalid update"):
        filled.update("users", "a", {"$set": {"age": 1}, "plain": 2})
    with pytest.raises(FluxDBError, match="invalid update"):
        filled.update("users", "a", {"$inc": {"name": 1}})
    with pytest.raises(FluxDBError, match="invalid update"):
        filled.update("users", "a", {"$set": {"_id": "b"}})
    with pytest.raises(FluxDBError, match="invalid query"):
        filled.find("users", ["not", "a", "dict"])
    with pytest.raises(FluxDBError, match="invalid pipeline"):
        filled.aggregate("users", {"$group": {}})
    unchanged(filled)


def test_argument_types(filled):
    with pytest.raises(TypeError):
        filled.find(5)
    with pytest.raises(TypeError):
        filled.update("users", 5, {"a": 1})
    with pytest.raises(TypeError):
        filled.find("users", limit="ten")
    with pytest.raises(TypeError):
        filled.create_collection("x", indexed_fields="age")
    unchanged(filled)


def test_bad_collection_names(db):
    for name in ["", "../escape", "a/b", ".hidden"]:
        with pytest.raises(FluxDBError, match="invalid collection name"):
            db.create_collection(name)
        with pytest.raises(FluxDBError, match="invalid collection name"):
            db.insert(name, {"a": 1})
    assert db.list_collections() == []


def test_a_failed_insert_many_leaves_no_collection(db):
    with pytest.raises(FluxDBError, match="duplicate _id"):
        db.insert_many("new", [{"_id": "x"}, {"_id": "x"}])
    with pytest.raises(RecordEncodingError):
        db.insert_many("new", [{"a": 1}, {"_id": 3}])
    assert db.list_collections() == []


def test_insert_many_is_atomic(filled):
    with pytest.raises(FluxDBError, match='duplicate _id "a"'):
        filled.insert_many("users", [{"name": "new"}, {"_id": "a"}])
    unchanged(filled)


def test_transaction_errors(db):
    with pytest.raises(TransactionError, match="no transaction"):
        db.commit()
    with pytest.raises(TransactionError, match="no transaction"):
        db.rollback()
    db.begin_transaction()
    with pytest.raises(TransactionError, match="already active"):
        db.begin_transaction()
    with pytest.raises(TransactionError, match="inside a transaction"):
        db.drop_collection("x")
    db.rollback()


def test_a_locked_folder(db_path, tmp_path):
    first = FluxDB(str(db_path))
    with pytest.raises(FluxDBError, match="locked by another writer"):
        FluxDB(str(db_path))
    first.close()
    FluxDB(str(db_path)).close()


def test_a_path_that_is_a_file(tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(FluxDBError, match="folder"):
        FluxDB(str(path))


def test_a_damaged_file_names_it_and_its_offset(db_path):
    with FluxDB(str(db_path)) as db:
        db.insert_many("users", [{"n": i, "pad": "x" * 50} for i in range(50)])
        db.flush()
        db.insert_many("users", [{"n": i, "pad": "y" * 50} for i in range(50)])
    path = db_path / "users.fdb"
    data = bytearray(path.read_bytes())
    data[len(data) // 4] ^= 0xFF  # inside the first of two batches
    path.write_bytes(bytes(data))
    with pytest.raises(FluxDBError, match=r"users\.fdb: corrupt at byte offset \d+"):
        FluxDB(str(db_path))


def test_a_torn_tail_is_dropped_with_a_warning(db_path):
    with FluxDB(str(db_path)) as db:
        db.insert_many("users", [{"n": i} for i in range(10)])
        db.flush()
        db.insert_many("users", [{"n": i} for i in range(10, 20)])
    path = db_path / "users.fdb"
    path.write_bytes(path.read_bytes()[:-7])  # a crash in the middle of the last write
    with pytest.warns(RuntimeWarning, match=r'collection "users": dropped \d+ bytes at offset'):
        db = FluxDB(str(db_path))
    assert db.count("users") == 10
    db.close()


def test_a_closed_database_refuses_calls(db_path):
    db = FluxDB(str(db_path))
    db.close()
    db.close()
    assert db.closed
    with pytest.raises(FluxDBError, match="closed"):
        db.insert("t", {"a": 1})
    with pytest.raises(FluxDBError, match="closed"):
        db.find("t")


def test_a_record_over_16_mib(filled):
    with pytest.raises(RecordEncodingError, match="exceeds the limit"):
        filled.insert("users", {"big": "x" * (16 * 1024 * 1024 + 1)})
    unchanged(filled)


def test_a_limit_or_skip_that_is_not_an_int(filled):
    with pytest.raises(TypeError):
        filled.find("users", skip=1.5)
    with pytest.raises(TypeError):
        filled.find("users", limit=[1])
