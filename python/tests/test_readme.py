"""The Python FluxDB 0.1 README's examples, exactly as written there, run in
a temporary working folder (they use the relative folder "data")."""

import textwrap

import pytest

import fluxdb

QUICK_START = '''
from fluxdb import FluxDB

# Initialize database in the "data" directory
db = FluxDB("data")

# Create a collection with indexed fields
db.create_collection("users", indexed_fields=["age", "status"])

# Insert a record
user_id = db.insert("users", {"name": "Alice", "age": 30, "status": "active"})

# Query records
results = db.find(
    "users",
    query={"age": {"$gt": 20}},
    sort={"age": 1},
    limit=10
)
print(results)  # [{'_id': '...', 'name': 'Alice', 'age': '30', 'status': 'active'}]

# Update a record
db.update("users", user_id, {"status": "inactive"})

# Delete a record
db.delete("users", user_id)
'''

# The API section's examples, in the order the README gives them (the
# collection is re-created where an example before dropped it).
API_EXAMPLES = [
    'db = FluxDB("data")',
    'db.create_collection("users", indexed_fields=["age", "status"])',
    'db.drop_collection("users")',
    'db.create_collection("users", indexed_fields=["age", "status"])',
    'db.clear_collection("users")',
    'user_id = db.insert("users", {"name": "Alice", "age": 30, "status": "active"})',
    'ids = db.insert_many("users", [{"name": "Bob"}, {"name": "Charlie"}])',
    'results = db.find("users", {"age": {"$gt": 20}}, limit=10, sort={"age": 1})',
    'db.update("users", user_id, {"status": "inactive"})',
    'if db.exists("users", user_id):\n    print("User exists!")',
    'count = db.count("users", {"status": "active"})',
    'db.delete("users", user_id)',
]

TRANSACTION = '''
db.begin_transaction()
try:
    db.insert("users", {"name": "Eve"})
    db.insert("users", {"name": "Frank"})
    db.commit()
except Exception:
    db.rollback()
'''

AGGREGATE = '''
results = db.aggregate("products", [
    {"$group": {"_id": "$category", "count": {"$count": 1}}}
])
'''

QUERY_LANGUAGE = [
    'db.find("users", {"name": "Alice"})',
    'db.find("users", {"age": {"$gt": 20, "$lt": 30}})',
    'db.find("users", {"status": {"$in": ["active", "pending"]}})',
    '''db.find("users", {
    "age": {"$gt": 20, "$lt": 30},
    "status": {"$in": ["active"]}
}, sort={"age": 1}, limit=10)''',
]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(code, namespace):
    exec(compile(textwrap.dedent(code), "<README>", "exec"), namespace)  # noqa: S102
    return namespace


def test_quick_start_runs_as_written(workdir, capsys):
    ns = run(QUICK_START, {})
    printed = capsys.readouterr().out
    # Types are kept: the age prints as 30, where the Python library printed '30'.
    assert printed.strip() == repr([{"_id": ns["user_id"], "name": "Alice", "age": 30, "status": "active"}])
    db = ns["db"]
    assert db.find("users") == []
    assert db.list_collections() == ["users"]
    db.close()
    assert (workdir / "data" / "users.fdb").exists()


def test_api_examples_run_as_written(workdir, capsys):
    ns = {"FluxDB": fluxdb.FluxDB}
    for example in API_EXAMPLES:
        run(example, ns)
    db = ns["db"]
    assert [r["name"] for r in ns["results"]] == ["Alice"]
    assert len(ns["ids"]) == 2
    assert ns["count"] == 0
    assert capsys.readouterr().out == "User exists!\n"
    assert [r["name"] for r in db.find("users")] == ["Bob", "Charlie"]
    db.close()


def test_transaction_example_commits_both_records(workdir):
    ns = run('from fluxdb import FluxDB\ndb = FluxDB("data")\ndb.create_collection("users")', {})
    run(TRANSACTION, ns)
    assert [r["name"] for r in ns["db"].find("users")] == ["Eve", "Frank"]
    ns["db"].close()


def test_transaction_example_rolls_back_when_an_insert_fails(workdir):
    ns = run('from fluxdb import FluxDB\ndb = FluxDB("data")\ndb.create_collection("users")', {})
    # The second insert fails (a record that is not a dict): both are undone.
    run(TRANSACTION.replace('{"name": "Frank"}', '["not", "a", "record"]'), ns)
    assert ns["db"].find("users") == []
    assert ns["db"].count("users") == 0
    ns["db"].close()


def test_aggregate_example(workdir):
    ns = run('from fluxdb import FluxDB\ndb = FluxDB("data")', {})
    ns["db"].insert_many("products", [{"category": c} for c in ["books", "games", "books"]])
    run(AGGREGATE, ns)
    assert sorted((r["_id"], r["count"]) for r in ns["results"]) == [("books", 2), ("games", 1)]
    ns["db"].close()


def test_import_export_examples(workdir):
    ns = run('from fluxdb import FluxDB\ndb = FluxDB("data")', {})
    ns["db"].insert("users", {"name": "Alice"})
    run('db.export_collection("users", "users_backup.fdb")', ns)
    ns["db"].drop_collection("users")
    run('db.import_collection("users", "users_backup.fdb")', ns)
    assert [r["name"] for r in ns["db"].find("users")] == ["Alice"]
    ns["db"].close()


def test_query_language_examples(workdir):
    ns = run('from fluxdb import FluxDB\ndb = FluxDB("data")', {})
    db = ns["db"]
    db.create_collection("users", indexed_fields=["age", "status"])
    db.insert_many(
        "users",
        [
            {"name": "Alice", "age": 30, "status": "active"},
            {"name": "Bob", "age": 25, "status": "pending"},
            {"name": "Carol", "age": 22, "status": "active"},
            {"name": "Dan", "age": 35, "status": "inactive"},
        ],
    )
    answers = [[r["name"] for r in eval(q, ns)] for q in QUERY_LANGUAGE]  # noqa: S307
    assert answers == [["Alice"], ["Bob", "Carol"], ["Alice", "Bob", "Carol"], ["Carol"]]
    db.close()
