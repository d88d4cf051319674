"""Folders written by the Python FluxDB 0.1 library (the repository's
fixtures): they open as they are, answer as the library did (text values),
and what this package writes there stays in the library's format."""

import datetime
import pickle
import struct

import pytest
from conftest import legacy_copy

from fluxdb import FluxDB


def read_fdb(path):
    """The records of a Python 0.1 collection file, read by the format's
    rules (u32 big-endian lengths, a 36-byte id slot, text fields)."""
    data = path.read_bytes()
    records, offset = [], 0
    while offset + 4 <= len(data):
        (length,) = struct.unpack_from("!I", data, offset)
        body = data[offset + 4 : offset + 4 + length]
        assert len(body) == length, "a whole record"
        record = {"_id": body[:36].rstrip(b"\0").decode()}
        (count,) = struct.unpack_from("!I", body, 36)
        at = 40
        for _ in range(count):
            (klen,) = struct.unpack_from("!I", body, at)
            key = body[at + 4 : at + 4 + klen].decode()
            at += 4 + klen
            (vlen,) = struct.unpack_from("!I", body, at)
            record[key] = body[at + 4 : at + 4 + vlen].decode()
            at += 4 + vlen
        assert at == length
        records.append(record)
        offset += 4 + length
    assert offset == len(data), "no torn tail"
    return records


def exact_index(records, fields):
    index = {field: {} for field in fields}
    for record in records:
        for field in fields:
            index[field].setdefault(record.get(field, ""), []).append(record["_id"])
    return index


def assert_readable_by_the_python_library(folder, collection, fields):
    """The file holds whole records in the library's format, and its index
    pickle is exact (the library answers indexed queries from it alone)."""
    records = read_fdb(folder / f"{collection}.fdb")
    with open(folder / "indexes" / f"{collection}.idx", "rb") as f:
        index = pickle.load(f)
    assert index == exact_index(records, fields)
    return records


def test_a_library_folder_opens_as_it_is(legacy):
    folder, expected = legacy
    before = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    with FluxDB(str(folder)) as db:
        assert db.list_collections() == expected["collections"]
        for collection, records in expected["records"].items():
            found = db.find(collection)
            assert found == records, collection
            assert [list(r) for r in found] == [list(r) for r in records], "field order"
            assert db.count(collection) == len(records)
    after = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != ".lock"}
    assert {k: v for k, v in before.items()} == {k: after[k] for k in before}, "reading changes no file"


def test_values_are_text_and_queries_answer_as_the_library(legacy):
    folder, expected = legacy
    users = expected["records"]["users"]
    with FluxDB(str(folder)) as db:
        assert all(isinstance(v, str) for r in db.find("users") for v in r.values())
        # The library compared numbers with the stored text as numbers...
        older = [r for r in users if r.get("age") and float(r["age"]) > 40]
        assert db.find("users", {"age": {"$gt": 40}}) == older
        # ...and exact values as str(value).
        some = users[1]
        assert db.find("users", {"age": int(some["age"]), "_id": some["_id"]}) == [some]
        active = [r for r in users if r.get("status") == "active"]
        assert db.find("users", {"status": "active"}) == active
        assert db.count("users", {"status": {"$in": ["active", "pending"]}}) == len(
            [r for r in users if r.get("status") in ("active", "pending")]
        )
        assert db.exists("users", some["_id"])


def test_a_torn_tail_is_read_as_the_library_read_it(tmp_path):
    folder, expected = legacy_copy(tmp_path, "torn-tail")
    with pytest.warns(RuntimeWarning, match="incomplete last record"):
        db = FluxDB(str(folder))
    with db:
        assert db.find("users") == expected["records"]["users"]


def test_writes_keep_the_library_format(legacy):
    folder, expected = legacy
    when = datetime.datetime(2024, 5, 6, 7, 8, 9)
    with FluxDB(str(folder)) as db:
        new_id = db.insert("users", {"name": "Zed", "age": 30, "status": "active", "score": 1e16, "ok": True})
        odd_id = db.insert("users", {"name": "Odd", "when": when, "tags": [1, "a"], 7: None})
        many = db.insert_many("users", [{"name": "M1", "age": 5}, {"name": "M2"}])
        victim = expected["records"]["users"][0]["_id"]
        assert db.update("users", expected["records"]["users"][2]["_id"], {"status": "inactive", "age": 99})
        assert db.delete("users", victim)
        zed = db.find("users", {"_id": new_id})[0]
        assert zed == {"name": "Zed", "age": "30", "status": "active", "score": "1e+16", "ok": "True", "_id": new_id}
        odd = db.find("users", {"_id": odd_id})[0]
        assert odd["when"] == str(when), "str() of a value with no JSON form, as the library stored it"
        assert odd["tags"] == "[1, 'a']" and odd["7"] == "None"
        answer = db.find("users")
    records = assert_readable_by_the_python_library(folder, "users", ["age", "status"])
    assert records == answer
    assert victim not in {r["_id"] for r in records}
    assert {new_id, odd_id, *many} <= {r["_id"] for r in records}
    with FluxDB(str(folder)) as db:
        assert db.find("users") == answer


def test_a_new_collection_in_a_library_folder_is_in_its_format(legacy):
    folder, _ = legacy
    with FluxDB(str(folder)) as db:
        assert db.create_collection("pets", indexed_fields=["kind"])
        db.insert("pets", {"_id": "p1", "kind": "cat", "age": 3})
        db.insert("pets", {"_id": "p2", "kind": "dog", "age": 1.5})
        with db.transaction():
            db.insert("pets", {"_id": "p3", "kind": "cat"})
        db.begin_transaction()
        db.insert("pets", {"_id": "gone", "kind": "cat"})
        db.rollback()
    records = assert_readable_by_the_python_library(folder, "pets", ["kind"])
    assert records == [
        {"_id": "p1", "kind": "cat", "age": "3"},
        {"_id": "p2", "kind": "dog", "age": "1.5"},
        {"_id": "p3", "kind": "cat"},
    ]


def test_clear_and_drop_in_a_library_folder(legacy):
    folder, _ = legacy
    with FluxDB(str(folder)) as db:
        assert db.clear_collection("users")
        assert db.find("users") == []
        assert db.drop_collection("products")
        assert "products" not in db.list_collections()
    assert (folder / "users.fdb").read_bytes() == b""
    with open(folder / "indexes" / "users.idx", "rb") as f:
        assert pickle.load(f) == {"age": {}, "status": {}}
    assert not (folder / "products.fdb").exists()


def test_export_and_import_in_a_library_folder(legacy, tmp_path):
    folder, expected = legacy
    backup = tmp_path / "users_backup.fdb"
    with FluxDB(str(folder)) as db:
        assert db.export_collection("users", str(backup))
        assert db.clear_collection("users")
        assert db.import_collection("users", str(backup))
        assert db.find("users") == expected["records"]["users"]
    assert read_fdb(backup) == expected["records"]["users"], "export is the library's file"


def test_counts_sorts_and_aggregates_on_text_values(legacy):
    folder, expected = legacy
    products = expected["records"]["products"]
    with FluxDB(str(folder)) as db:
        # Numeric text sorts as numbers, as the library's float() key did.
        prices = [r["price"] for r in db.find("products", sort={"price": 1})]
        assert prices == sorted((r["price"] for r in products), key=float)
        assert db.count("products", {"sale": "True"}) == sum(r.get("sale") == "True" for r in products)
        # A plain value matches the text str() gives it, as in the library.
        assert db.count("products", {"sale": True}) == sum(r.get("sale") == "True" for r in products)
        assert db.find("products", {"sale": False}) == [r for r in products if r.get("sale") == "False"]
        first = products[0]
        assert db.find("products", {"price": int(first["price"]), "sku": first["sku"]}) == [first]
        assert db.find("products", {"price": float(first["price"]), "sku": first["sku"]}) == [], "str(466.0)"
        groups = db.aggregate("products", [{"$group": {"_id": "$category", "n": {"$count": 1}}}])
        by_category = {}
        for r in products:
            by_category[r["category"]] = by_category.get(r["category"], 0) + 1
        assert {g["_id"]: g["n"] for g in groups} == by_category
        assert db.find("empty") == [] and db.count("empty") == 0
        assert [r["_id"] for r in db.find_iter("users")] == [r["_id"] for r in expected["records"]["users"]]
