"""The Python FluxDB 0.1 library's own operations, timed through the API
its README documents: insert 3,000 and 100,000 records one by one (and with
insert_many), an indexed find, update and delete by `_id`.

    python bench.py                       # this package (the installed `fluxdb`)
    python bench.py --original DIR [--original-python PY]   # and the original beside it

`--original DIR` names a folder holding the original library's `fluxdb`
package (its source, its dependencies installed: psutil, flask,
flask-admin); each side runs in its own process. The collection is made as
the README's Quick Start makes it (indexed on `age` and `status`), the
records are shaped like its user. Results print as a Markdown table.

The original rewrites its whole index file on every insert, so its inserts
slow down as a collection grows: an insert phase stops after `--budget`
seconds and reports a lower bound. Its find, update and delete at that
size then run on a folder of the same records that this package wrote in
the original's own format (the original reads such folders as its own).
"""

import argparse
import json
import os
import pickle
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SIZES = (3_000, 100_000)
STATUSES = ("active", "pending", "inactive")


def record(i, rng):
    return {"name": f"user{i}", "age": rng.randint(18, 80), "status": rng.choice(STATUSES), "score": i * 0.5}


def records(size):
    rng = random.Random(size)
    return [record(i, rng) for i in range(size)]


def per_op(samples):
    """Median time of one operation, in microseconds."""
    return statistics.median(samples) * 1e6


def write_out(db):
    """Puts buffered records in the file: this package's flush() (which also
    syncs them to the disk); the original library has no public call for it,
    so its buffer is flushed the way its own reads flush it."""
    if hasattr(db, "flush"):
        db.flush()
    else:
        db.buffer_manager.flush_buffer()


def close(db):
    if hasattr(db, "close"):
        db.close()


def time_ops(db, ids, ops, seed):
    """Indexed find (limit 10), update and delete by `_id`: the median of
    `ops` samples each, in microseconds."""
    rng = random.Random(seed)
    results = {}
    samples = []
    for _ in range(ops):
        age = rng.randint(18, 80)
        start = time.perf_counter()
        db.find("users", {"age": age}, 10)
        samples.append(time.perf_counter() - start)
    results["indexed find, limit 10"] = (per_op(samples), "µs")
    samples = []
    for rid in rng.sample(ids, min(ops, len(ids))):
        start = time.perf_counter()
        db.update("users", rid, {"status": "inactive"})
        samples.append(time.perf_counter() - start)
    results["update by _id"] = (per_op(samples), "µs")
    samples = []
    for rid in rng.sample(ids, min(ops, len(ids))):
        start = time.perf_counter()
        db.delete("users", rid)
        samples.append(time.perf_counter() - start)
    results["delete by _id"] = (per_op(samples), "µs")
    return results


def run(size, ops, budget, prepared):
    """Inserts `size` records one by one, then times the operations on
    them; returns {name: (value, unit)}."""
    import fluxdb

    results = {}
    docs = records(size)
    with tempfile.TemporaryDirectory() as tmp:
        db = fluxdb.FluxDB(os.path.join(tmp, "data"))
        db.create_collection("users", indexed_fields=["age", "status"])
        ids = []
        start = time.perf_counter()
        for doc in docs:
            ids.append(db.insert("users", doc))
            if time.perf_counter() - start > budget:
                break
        write_out(db)
        elapsed = time.perf_counter() - start
        if len(ids) == size:
            results[f"insert {size:,}"] = (elapsed, "s")
            results.update(time_ops(db, ids, ops, size))
            close(db)
            return results
        # Cut short: the time is a lower bound.
        results[f"insert {size:,}"] = (elapsed, f"s, stopped after {len(ids):,} records")
        close(db)
        if prepared:
            shutil.copytree(prepared, os.path.join(tmp, "prepared"))
            db = fluxdb.FluxDB(os.path.join(tmp, "prepared"))
            ids = [r["_id"] for r in db.find("users")]
            results.update(time_ops(db, ids, ops, size))
    return results


def run_many(size):
    import fluxdb

    docs = records(size)
    with tempfile.TemporaryDirectory() as tmp:
        db = fluxdb.FluxDB(os.path.join(tmp, "data"))
        db.create_collection("users", indexed_fields=["age", "status"])
        start = time.perf_counter()
        db.insert_many("users", docs)
        write_out(db)
        elapsed = time.perf_counter() - start
        close(db)
    return {f"insert_many {size:,}": (elapsed, "s")}


def prepare_original_folder(path, size):
    """The benchmark's records in a folder of the original's format, written
    by this package: a folder of Python 0.1 collections stays one."""
    import fluxdb

    os.makedirs(os.path.join(path, "indexes"))
    open(os.path.join(path, "users.fdb"), "wb").close()
    with open(os.path.join(path, "indexes", "users.idx"), "wb") as f:
        pickle.dump({"age": {}, "status": {}}, f, protocol=5)
    with fluxdb.FluxDB(path) as db:
        db.insert_many("users", records(size))


def side(original, ops, budget, prepared):
    """Runs every measurement in this process and prints them as JSON."""
    if original:
        sys.path.insert(0, original)
    import fluxdb

    out = {"version": fluxdb.__version__, "results": {}}
    for size in SIZES:
        # The original rewrites its whole file on every update and delete:
        # a few hundred samples give its median (a few dozen at 100,000).
        n = ops if not original else min(ops, 200 if size < 10_000 else 20)
        results = run(size, n, budget, prepared.get(str(size)))
        if not original or size < 10_000:
            results.update(run_many(size))
        out["results"][str(size)] = results
    print(json.dumps(out))


def measure(original, ops, budget, prepared, python=sys.executable):
    args = [python, __file__, "--side", "--ops", str(ops), "--budget", str(budget)]
    args += ["--prepared", json.dumps(prepared)]
    if original:
        args += ["--original", original]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def fmt(value, unit):
    if unit.startswith("s"):
        text = f"{value * 1000:,.1f} ms" if value < 1 else f"{value:,.2f} s"
        return f"> {text} ({unit[3:]})" if unit != "s" else text
    return f"{value:,.1f} {unit}"


def table(ours, theirs):
    header = f"| records | operation | fluxdb {ours['version']} |"
    rule = "|---|---|---:|"
    if theirs:
        header += f" original {theirs['version']} | faster |"
        rule += "---:|---:|"
    lines = [header, rule]
    for size, results in ours["results"].items():
        for name, (value, unit) in results.items():
            line = f"| {int(size):,} | {name} | {fmt(value, unit)} |"
            if theirs:
                other = theirs["results"].get(size, {}).get(name)
                if other:
                    bound = "> " if other[1] not in ("s", "µs") else ""
                    line += f" {fmt(*other)} | {bound}{other[0] / value:,.0f}× |"
                else:
                    line += " not run | |"
            lines.append(line)
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--original", help="folder holding the original library's fluxdb package")
    parser.add_argument("--ops", type=int, default=2_000, help="samples per operation (default 2000)")
    parser.add_argument("--budget", type=float, default=600, help="seconds an insert phase may take")
    parser.add_argument(
        "--original-python", default=sys.executable, help="the Python that runs the original (with its dependencies)"
    )
    parser.add_argument("--original-json", help="save the original's results here, or reuse them if present")
    parser.add_argument("--side", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--prepared", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        side(args.original, args.ops, args.budget, json.loads(args.prepared))
        return
    theirs = None
    if args.original_json and os.path.exists(args.original_json):
        with open(args.original_json, encoding="utf-8") as f:
            theirs = json.load(f)
    elif args.original:
        with tempfile.TemporaryDirectory() as tmp:
            prepared = {}
            for size in SIZES[1:]:
                prepared[str(size)] = os.path.join(tmp, f"original-{size}")
                prepare_original_folder(prepared[str(size)], size)
            theirs = measure(args.original, args.ops, args.budget, prepared, args.original_python)
        if args.original_json:
            with open(args.original_json, "w", encoding="utf-8") as f:
                json.dump(theirs, f)
    ours = measure(None, args.ops, args.budget, {})
    print(table(ours, theirs))


if __name__ == "__main__":
    main()
