"""The Pythonic extras: with db.transaction(), find_iter, close() and the
context manager, __version__, docstrings and type hints."""

import inspect
import re
from pathlib import Path

import pytest

import fluxdb
from fluxdb import FluxDB, TransactionError


def test_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", fluxdb.__version__)


def test_every_method_has_a_docstring_and_a_signature():
    methods = [
        "create_collection", "drop_collection", "clear_collection", "insert", "insert_many",
        "find", "find_iter", "update", "delete", "exists", "count", "begin_transaction",
        "commit", "rollback", "transaction", "aggregate", "export_collection",
        "import_collection", "list_collections", "flush", "refresh", "close",
    ]
    for name in methods:
        method = getattr(FluxDB, name)
        assert method.__doc__ and len(method.__doc__) > 20, name
    assert str(inspect.signature(FluxDB.find)) == "(self, /, collection, query=None, limit=None, skip=0, sort=None)"
    assert str(inspect.signature(FluxDB.create_collection)) == "(self, /, collection, indexed_fields=None)"
    assert FluxDB.__doc__.startswith("A FluxDB database")


def test_type_hints_ship_with_the_package():
    package = Path(fluxdb.__file__).parent
    assert (package / "py.typed").exists()
    stub = (package / "_native.pyi").read_text()
    assert "def find(" in stub and "-> list[_Record]" in stub


def test_with_transaction_commits(db):
    with db.transaction() as tx:
        assert tx is db
        db.insert("t", {"a": 1})
        db.insert("u", {"b": 2})
    assert db.count("t") == 1 and db.count("u") == 1
    db.begin_transaction()  # none is left open
    db.rollback()


def test_with_transaction_rolls_back_on_an_exception(db):
    db.insert("t", {"a": 0})
    with pytest.raises(KeyError):
        with db.transaction():
            db.insert("t", {"a": 1})
            db.update("t", db.find("t")[0]["_id"], {"a": 5})
            raise KeyError("boom")
    assert [r["a"] for r in db.find("t")] == [0]


def test_with_transaction_nested_or_ended_inside(db):
    with db.transaction():
        with pytest.raises(TransactionError):
            with db.transaction():
                pass
        db.insert("t", {"a": 1})
    assert db.count("t") == 1
    with db.transaction():
        db.insert("t", {"a": 2})
        db.rollback()
    assert db.count("t") == 1


def test_find_iter_yields_what_find_returns(db):
    db.create_collection("t", indexed_fields=["g"])
    db.insert_many("t", [{"i": i, "g": i % 3} for i in range(1000)])
    for kwargs in [{}, {"query": {"g": 1}}, {"sort": {"i": -1}, "limit": 300, "skip": 5}, {"skip": -10}, {"limit": 0}]:
        it = db.find_iter("t", **kwargs)
        assert iter(it) is it
        assert list(it) == db.find("t", **kwargs), kwargs
    assert next(db.find_iter("t", sort={"i": 1}))["i"] == 0


def test_find_iter_is_lazy_and_sees_changes(db):
    ids = db.insert_many("t", [{"i": i} for i in range(600)])
    it = db.find_iter("t")
    assert it.__length_hint__() == 600
    first = next(it)
    assert first["i"] == 0
    db.delete("t", ids[599])
    db.update("t", ids[598], {"i": "changed"})
    rest = list(it)
    assert len(rest) == 598
    assert rest[-1]["i"] == "changed"
    with pytest.raises(StopIteration):
        next(it)


def test_find_iter_allows_writes_while_iterating(db):
    db.insert_many("t", [{"i": i} for i in range(700)])
    for record in db.find_iter("t"):
        db.update("t", record["_id"], {"$inc": {"i": 1}})
    assert sum(r["i"] for r in db.find("t")) == sum(range(1, 701))


def test_close_and_context_manager(db_path):
    with FluxDB(str(db_path)) as db:
        db.insert("t", {"a": 1})
        assert not db.closed
        assert "open" in repr(db)
    assert db.closed and "closed" in repr(db)
    with FluxDB(str(db_path)) as db:
        assert db.count("t") == 1


def test_the_context_manager_rolls_back_an_open_transaction(db_path):
    with pytest.raises(RuntimeError):
        with FluxDB(str(db_path)) as db:
            db.insert("t", {"a": 1})
            db.begin_transaction()
            db.insert("t", {"a": 2})
            raise RuntimeError
    with FluxDB(str(db_path)) as db:
        assert [r["a"] for r in db.find("t")] == [1]


def test_flush(db_path):
    db = FluxDB(str(db_path))
    db.insert("t", {"a": 1})
    db.flush()
    assert (db_path / "t.fdb").stat().st_size > 0
    db.close()


def test_a_subclass_keeps_the_api(db_path):
    class MyDB(FluxDB):
        def names(self):
            return [r["name"] for r in self.find("t")]

    with MyDB(str(db_path)) as db:
        db.insert("t", {"name": "x"})
        assert db.names() == ["x"]


def test_shared_databases_write_in_turn_and_see_each_other(db_path):
    # Two programs on one folder (Studio beside a script): each holds the
    # lock only while it writes, and catches up with the other first.
    a = FluxDB(str(db_path), shared=True)
    b = FluxDB(str(db_path), shared=True)
    a.insert("counters", {"_id": "x", "n": 0})
    assert b.update("counters", "x", {"$inc": {"n": 1}})
    assert a.update("counters", "x", {"$inc": {"n": 10}})
    assert b.update("counters", "x", {"$inc": {"n": 100}})
    assert a.find("counters")[0]["n"] == 11
    assert a.refresh() == 2
    assert a.find("counters")[0]["n"] == 111
    with a.transaction():
        a.insert("log", {"_id": "one"})
    assert b.refresh() >= 1
    assert b.exists("log", "one")
    a.close()
    b.close()
    # An exclusive open (the default) still takes the folder for itself.
    only = FluxDB(str(db_path))
    with pytest.raises(fluxdb.FluxDBError, match="locked"):
        FluxDB(str(db_path), shared=True).insert("c", {})
    only.close()
