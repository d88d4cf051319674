"""Threads and processes: the GIL is released while the engine works, calls
from several threads take turns on one database, and a second process on
the same folder gets the engine's "locked" error."""

import subprocess
import sys
import textwrap
import threading
import time

from fluxdb import FluxDB


def test_threads_share_one_database(db):
    db.create_collection("t", indexed_fields=["worker"])
    errors = []

    def work(worker):
        try:
            for i in range(200):
                rid = db.insert("t", {"worker": worker, "i": i})
                assert db.exists("t", rid)
                if i % 10 == 0:
                    db.update("t", rid, {"$set": {"tenth": True}})
                    db.find("t", {"worker": worker}, limit=5)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.count("t") == 1200
    for w in range(6):
        assert db.count("t", {"worker": w}) == 200
        assert db.count("t", {"worker": w, "tenth": True}) == 20


def test_other_threads_run_while_the_engine_works(db):
    # One long engine call (a regex over every record) must let a
    # pure-Python thread run: it could not while the call held the GIL.
    db.insert_many("t", [{"i": i, "s": f"value {i}"} for i in range(200_000)])
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.0002)

    thread = threading.Thread(target=ticker)
    thread.start()
    time.sleep(0.01)
    start = time.perf_counter()
    db.count("t", {"s": {"$regex": "9$"}})
    end = time.perf_counter()
    stop.set()
    thread.join()
    during = [t for t in ticks if start < t < end]
    assert end - start > 0.02, "the call took long enough to tell"
    assert len(during) >= 10, f"the ticker ran {len(during)} times in {end - start:.3f}s"


def test_a_second_process_gets_the_locked_error(db_path):
    db = FluxDB(str(db_path))
    db.insert("t", {"a": 1})
    db.flush()
    script = textwrap.dedent(
        f"""
        from fluxdb import FluxDB, FluxDBError
        try:
            FluxDB({str(db_path)!r})
        except FluxDBError as e:
            print("refused:", e)
        else:
            print("opened")
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("refused:") and "locked by another writer" in out.stdout, out.stdout
    db.close()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "opened", out.stdout + out.stderr


def test_buffered_writes_reach_the_disk_when_a_program_exits(db_path):
    # No close(), no flush(): the records were buffered when the script ended.
    script = textwrap.dedent(
        f"""
        from fluxdb import FluxDB
        db = FluxDB({str(db_path)!r})
        db.insert_many("t", [{{"i": i}} for i in range(100)])
        keep = [db]  # still referenced at exit
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    with FluxDB(str(db_path)) as db:
        assert db.count("t") == 100
