"""Writes the reference index pickles the Rust tests compare against.

Each file is CPython's own `pickle.dumps(index, protocol=5)` (the library's
`pickle.dump(..., protocol=pickle.HIGHEST_PROTOCOL)`) of the index the Python
FluxDB 0.1 library keeps, built from records as the library returns them:

    index = {field: {} for field in fields}
    for record in records:
        for field in index:
            index[field].setdefault(str(record.get(field, "")), []).append(record["_id"])

Nothing of the Rust code is reimplemented here; run with any CPython >= 3.8:
    python3 make_index_pickles.py
"""
import json
import os
import pickle

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "..", "..", "..", "shared", "fixtures", "legacy-v0.1")


def build_index(fields, records):
    index = {field: {} for field in fields}
    for record in records:
        for field in index:
            index[field].setdefault(str(record.get(field, "")), []).append(record["_id"])
    return index


def synthetic_records():
    """Mirrors `synthetic_records()` in ../pickle_index.rs."""
    records = []
    for i in range(2101):
        record = {"_id": "a" if i == 7 else "s%04d" % i, "v": str(i % 1000)}
        record["w"] = "x" if i <= 1000 else ("y" if i <= 2000 else "\u00e9")
        if i % 3 == 1:
            record["t"] = "a"
        elif i % 3 == 2:
            record["t"] = ""
        if i == 5:
            record["big"] = "L" * 65536
        elif i == 6:
            record["big"] = "M" * 300
        records.append(record)
    return records


def main():
    with open(os.path.join(FIXTURES, "basic.expected.json"), encoding="utf-8") as f:
        expected = json.load(f)["records"]
    cases = {
        "users_age_status.pkl": (["age", "status"], expected["users"]),
        "empty_name.pkl": (["name"], expected["empty"]),
        "products_mixed.pkl": (["category", "sale", "_id", "missing", "category", "s"],
                               expected["products"]),
        "synthetic.pkl": (["v", "w", "t", "_id", "big", "a"], synthetic_records()),
    }
    for name, (fields, records) in cases.items():
        index = build_index(fields, records)
        data = pickle.dumps(index, protocol=5)
        assert pickle.loads(data) == index
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        print("%-22s %7d bytes" % (name, len(data)))
    with open(os.path.join(FIXTURES, "basic", "indexes", "empty.idx"), "rb") as f:
        assert f.read() == pickle.dumps(build_index(["name"], []), protocol=5)


if __name__ == "__main__":
    main()
