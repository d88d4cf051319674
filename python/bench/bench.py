"""The Python FluxDB 0.1 library's own operations, timed through the API
its README documents: insert 3,000 and 100,000 records one by one, an
indexed find, update and delete by `_id`.

    python bench.py                       # this package (the installed `fluxdb`)
    python bench.py --original DIR        # and the original library beside it

`--original DIR` names a folder holding the original library's `fluxdb`
package (its source, with its dependencies installed: psutil, flask,
flask-admin); each side runs in its own process. The collection is made as
the README's Quick Start makes it (indexed on `age` and `status`), the
records are shaped like its user. Results print as a Markdown table.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

SIZES = (3_000, 100_000)
STATUSES = ("active", "pending", "inactive")


def record(i, rng):
    return {"name": f"user{i}", "age": rng.randint(18, 80), "status": rng.choice(STATUSES), "score": i * 0.5}


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


def timed(f, *args):
    start = time.perf_counter()
    result = f(*args)
    return time.perf_counter() - start, result


def run(size, ops, budget):
    """Times the operations on a collection of `size` records; returns
    {name: (value, unit)}. `ops` bounds the per-operation samples; a phase
    that would pass `budget` seconds is cut short and marked."""
    import fluxdb

    rng = random.Random(size)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = fluxdb.FluxDB(os.path.join(tmp, "data"))
        db.create_collection("users", indexed_fields=["age", "status"])
        ids = []
        start = time.perf_counter()
        for i in range(size):
            ids.append(db.insert("users", record(i, rng)))
            if time.perf_counter() - start > budget:
                break
        write_out(db)
        elapsed = time.perf_counter() - start
        if len(ids) < size:
            # Cut short: the time is a lower bound, and the operations
            # below would run on a smaller collection, so they are not run.
            results[f"insert {size:,}"] = (elapsed, f"s, stopped after {len(ids):,} records")
            return results
        results[f"insert {size:,}"] = (elapsed, "s")
        count = len(ids)

        samples = []
        for _ in range(ops):
            age = rng.randint(18, 80)
            took, found = timed(db.find, "users", {"age": age}, 10)
            samples.append(took)
        results["indexed find, limit 10"] = (per_op(samples), "µs")

        samples = []
        for rid in rng.sample(ids, min(ops, count)):
            took, ok = timed(db.update, "users", rid, {"status": "inactive"})
            samples.append(took)
        results["update by _id"] = (per_op(samples), "µs")

        samples = []
        for rid in rng.sample(ids, min(ops, count)):
            took, ok = timed(db.delete, "users", rid)
            assert ok
            samples.append(took)
        results["delete by _id"] = (per_op(samples), "µs")
        if hasattr(db, "close"):
            db.close()
    return results


def run_many(size):
    import fluxdb

    rng = random.Random(size)
    docs = [record(i, rng) for i in range(size)]
    with tempfile.TemporaryDirectory() as tmp:
        db = fluxdb.FluxDB(os.path.join(tmp, "data"))
        db.create_collection("users", indexed_fields=["age", "status"])
        start = time.perf_counter()
        db.insert_many("users", docs)
        write_out(db)
        elapsed = time.perf_counter() - start
        if hasattr(db, "close"):
            db.close()
    return {f"insert_many {size:,}": (elapsed, "s")}


def side(original, ops, budget):
    """Runs every measurement in this process and prints them as JSON."""
    if original:
        sys.path.insert(0, original)
    import fluxdb

    out = {"version": fluxdb.__version__, "results": {}}
    for size in SIZES:
        # The original rewrites its whole file on every update and delete:
        # a few hundred samples give its median.
        n = min(ops, 200) if original else ops
        out["results"][str(size)] = run(size, n, budget)
        out["results"][str(size)].update(run_many(size) if not original or size == SIZES[0] else {})
    print(json.dumps(out))


def measure(original, ops, budget):
    args = [sys.executable, __file__, "--side", "--ops", str(ops), "--budget", str(budget)]
    if original:
        args += ["--original", original]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def fmt(value, unit):
    if unit.startswith("s"):
        text = f"{value * 1000:,.1f} ms" if value < 1 else f"{value:,.2f} s"
        return f"> {text} ({unit[3:]})" if unit != "s" else text
    return f"{value:,.1f} {unit}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--original", help="folder holding the original library's fluxdb package")
    parser.add_argument("--ops", type=int, default=2_000, help="samples per operation (default 2000)")
    parser.add_argument("--budget", type=float, default=1800, help="seconds an insert phase may take")
    parser.add_argument("--original-json", help="the original's results saved by an earlier --side run")
    parser.add_argument("--side", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        side(args.original, args.ops, args.budget)
        return
    ours = measure(None, args.ops, args.budget)
    if args.original_json:
        with open(args.original_json, encoding="utf-8") as f:
            theirs = json.load(f)
    else:
        theirs = measure(args.original, args.ops, args.budget) if args.original else None
    header = f"| records | operation | fluxdb {ours['version']} |"
    rule = "|---|---|---:|"
    if theirs:
        header += f" original {theirs['version']} | faster |"
        rule += "---:|---:|"
    print(header)
    print(rule)
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
            print(line)


if __name__ == "__main__":
    main()
