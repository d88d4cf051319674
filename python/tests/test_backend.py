"""A custom storage_backend, the Python library's way: an object with
encode_record(dict) -> bytes and decode_record(bytes) -> dict."""

import json
import struct
import uuid
import subprocess
import sys
import textwrap
import threading

import pytest

from fluxdb import FluxDB, FluxDBError, RecordEncodingError


class JsonBackend:
    """Records as JSON text; counts its calls."""

    def __init__(self):
        self.encoded = 0
        self.decoded = 0

    def encode_record(self, data):
        self.encoded += 1
        return json.dumps(data).encode("utf-8")

    def decode_record(self, data):
        self.decoded += 1
        return json.loads(data.decode("utf-8"))


class Failing(JsonBackend):
    def __init__(self, fail_on):
        super().__init__()
        self.fail_on = fail_on

    def encode_record(self, data):
        if data.get("name") == self.fail_on:
            raise ValueError(f"cannot store {self.fail_on}")
        return super().encode_record(data)


def test_records_go_through_the_backend(db_path):
    backend = JsonBackend()
    with FluxDB(str(db_path), storage_backend=backend) as db:
        db.create_collection("users", indexed_fields=["age"])
        rid = db.insert("users", {"name": "Alice", "age": 30, "tags": ["a", 1.5]})
        db.insert_many("users", [{"name": "Bob", "age": 20}, {"name": "Carol", "age": 40}])
        assert db.update("users", rid, {"age": 31})
        assert backend.encoded >= 4
        assert [r["name"] for r in db.find("users", {"age": {"$gt": 25}})] == ["Alice", "Carol"]
    raw = (db_path / "users.fdb").read_bytes()
    assert b'"name": "Alice"' in raw, "stored in the backend's encoding"
    backend = JsonBackend()
    with FluxDB(str(db_path), backend) as db:
        found = db.find("users", sort={"age": 1})
        assert [(r["name"], r["age"]) for r in found] == [("Bob", 20), ("Alice", 31), ("Carol", 40)]
        assert found[1] == {"_id": rid, "name": "Alice", "age": 31, "tags": ["a", 1.5]}
        assert backend.decoded > 0


def test_the_backend_gets_the_fields_and_its_id_is_replaced(db_path):
    seen = []

    class Recording(JsonBackend):
        def encode_record(self, data):
            seen.append(dict(data))
            data["_id"] = "backend's own"  # ignored: the engine keeps the id
            return super().encode_record(data)

    with FluxDB(str(db_path), storage_backend=Recording()) as db:
        rid = db.insert("t", {"a": 1})
        assert seen == [{"a": 1}]
        assert db.find("t") == [{"_id": rid, "a": 1}]


def test_a_raising_backend_is_an_error_and_costs_nothing(db_path):
    with FluxDB(str(db_path), storage_backend=Failing("Bad")) as db:
        db.insert("users", {"name": "Good"})
        with pytest.raises(RecordEncodingError, match="ValueError: cannot store Bad") as raised:
            db.insert("users", {"name": "Bad"})
        assert isinstance(raised.value.__cause__, ValueError)
        with pytest.raises(RecordEncodingError, match="document 1"):
            db.insert_many("users", [{"name": "Fine"}, {"name": "Bad"}])
        with pytest.raises(RecordEncodingError):
            db.insert_many("new", [{"name": "Bad"}])
        assert db.list_collections() == ["users"]
        assert [r["name"] for r in db.find("users")] == ["Good"]
        db.insert("users", {"name": "Later"})
    # The backend's class name is in the file: the same class reads it.
    with FluxDB(str(db_path), storage_backend=Failing("nobody")) as db:
        assert [r["name"] for r in db.find("users")] == ["Good", "Later"]


@pytest.mark.parametrize(
    ("encode", "decode", "words"),
    [
        (lambda d: "text", None, "returned str, not bytes"),
        (lambda d: None, None, "returned NoneType, not bytes"),
        (None, lambda b: None, "returned NoneType, not a dict"),
        (None, lambda b: [1], "returned list, not a dict"),
        (None, lambda b: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_a_backend_returning_the_wrong_thing(db_path, encode, decode, words):
    backend = JsonBackend()
    if encode:
        backend.encode_record = encode
    if decode:
        backend.decode_record = decode
    with FluxDB(str(db_path), storage_backend=JsonBackend()) as db:
        db.insert("t", {"_id": "1", "a": 1})
    db = FluxDB(str(db_path), storage_backend=backend)
    try:
        if encode:
            with pytest.raises(RecordEncodingError, match=words):
                db.insert("t", {"a": 2})
        else:
            with pytest.raises(FluxDBError, match=words):
                db.find("t")
    finally:
        db.close()
    with FluxDB(str(db_path), storage_backend=JsonBackend()) as db:
        assert db.find("t") == [{"_id": "1", "a": 1}]


def test_a_backend_without_the_methods_is_refused(db_path):
    with pytest.raises(TypeError, match="encode_record"):
        FluxDB(str(db_path), storage_backend=object())


def test_a_file_is_not_read_with_another_backend(db_path):
    with FluxDB(str(db_path)) as db:
        db.insert("t", {"a": 1})
    with pytest.raises(FluxDBError, match="codec"):
        FluxDB(str(db_path), storage_backend=JsonBackend())


def test_a_backend_that_uses_the_database_gets_an_error_not_a_hang(db_path):
    holder = {}

    class Sneaky(JsonBackend):
        def encode_record(self, data):
            holder["db"].count("t")
            return super().encode_record(data)

    with FluxDB(str(db_path), storage_backend=Sneaky()) as db:
        holder["db"] = db
        with pytest.raises(RecordEncodingError, match="may not"):
            db.insert("t", {"a": 1})


def test_a_backend_is_called_from_other_threads_safely(db_path):
    with FluxDB(str(db_path), storage_backend=JsonBackend()) as db:
        def work(n):
            for i in range(50):
                db.insert("t", {"n": n, "i": i})

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert db.count("t") == 200


def test_reading_the_state_while_a_backend_runs_does_not_hang(db_path):
    # The engine holds the database while it calls the backend, which needs
    # the GIL: a thread that holds the GIL must not wait for the database.
    # Run apart, so that a hang fails the test instead of stopping the suite.
    script = textwrap.dedent(
        f"""
        import json, threading, time
        from fluxdb import FluxDB

        class Slow:
            def encode_record(self, data):
                time.sleep(0.001)
                return json.dumps(data).encode()

            def decode_record(self, data):
                return json.loads(data)

        db = FluxDB({str(db_path)!r}, storage_backend=Slow())
        writer = threading.Thread(target=lambda: [db.insert("t", {{"i": i}}) for i in range(50)])
        writer.start()
        probes = 0
        while writer.is_alive():
            assert not db.closed and "open" in repr(db)
            probes += 1
        writer.join()
        assert db.count("t") == 50
        db.close()
        print("ok", probes)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok"), done.stdout


def test_the_librarys_storage_module_is_there(db_path):
    from fluxdb.exceptions import FluxDBError as Imported
    from fluxdb.storage import BinaryStorage, StorageBackend

    assert Imported is FluxDBError

    class Upper(StorageBackend):
        def encode_record(self, data):
            return json.dumps(data).upper().encode()

        def decode_record(self, data):
            return json.loads(data.decode().lower())

    with FluxDB(str(db_path), storage_backend=Upper()) as db:
        db.insert("t", {"_id": "x", "name": "ann"})
    assert b'"NAME": "ANN"' in (db_path / "t.fdb").read_bytes()
    with FluxDB(str(db_path), Upper()) as db:
        assert db.find("t") == [{"_id": "x", "name": "ann"}]
    with pytest.raises(NotImplementedError):
        StorageBackend().encode_record({})
    # BinaryStorage is the default: the same files as with no backend.
    with FluxDB(str(db_path / "b"), storage_backend=BinaryStorage()) as db:
        db.insert("t", {"_id": "1", "n": 1})
    with FluxDB(str(db_path / "b")) as db:
        assert db.find("t") == [{"_id": "1", "n": 1}]


def test_binary_storage_encodes_the_python_0_1_layout():
    from fluxdb.storage import BinaryStorage

    storage = BinaryStorage()
    record = storage.encode_record({"name": "Zoë", "age": 30, "tags": [1, "a"], "ok": None})
    (length,) = struct.unpack("!I", record[:4])
    assert length == len(record) - 4
    body = record[4:]
    record_id = body[:36].rstrip(b"\0").decode()
    assert uuid.UUID(record_id).version == 4
    assert struct.unpack("!I", body[36:40]) == (5,), "the fields and _id"
    decoded = storage.decode_record(body)
    assert decoded == {"_id": record_id, "name": "Zoë", "age": "30", "tags": "[1, 'a']", "ok": "None"}
    assert list(decoded) == ["_id", "name", "age", "tags", "ok"]
    assert storage.decode_record(record) == decoded, "a whole record reads too"
    assert storage.decode_record(body[:-3]) is None
    assert storage.decode_record(b"short") is None
    mine = storage.decode_record(storage.encode_record({"a": 1, "_id": "given"})[4:])
    assert mine == {"_id": "given", "a": "1"}


def test_a_subclass_of_binary_storage_is_used_as_written(db_path):
    from fluxdb.storage import BinaryStorage

    class Text(BinaryStorage):
        """The library's own layout as a backend: values come back as text."""

    with FluxDB(str(db_path), storage_backend=Text()) as db:
        rid = db.insert("t", {"n": 1, "flag": True})
        assert db.find("t") == [{"_id": rid, "n": "1", "flag": "True"}]
