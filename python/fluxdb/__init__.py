"""FluxDB: the Python FluxDB 0.1 library's API on the FluxDB engine.

The same calls as the original library (``FluxDB``, ``create_collection``,
``insert``, ``find``, ``update``, ``delete``, transactions, ``aggregate``,
``export_collection`` ...), on the same folders, with the engine's speed and
crash safety. Values keep their Python types in native folders; a folder
written by the Python library keeps its format and its text values.

    from fluxdb import FluxDB

    db = FluxDB("data")
    db.create_collection("users", indexed_fields=["age", "status"])
    user_id = db.insert("users", {"name": "Alice", "age": 30, "status": "active"})
    db.find("users", query={"age": {"$gt": 20}}, sort={"age": 1}, limit=10)
"""

import atexit as _atexit

from ._native import (
    CollectionNotFoundError,
    FindIter,
    FluxDB,
    FluxDBError,
    RecordEncodingError,
    Transaction,
    TransactionError,
    __version__,
    _close_all,
)

__all__ = [
    "CollectionNotFoundError",
    "FindIter",
    "FluxDB",
    "FluxDBError",
    "RecordEncodingError",
    "Transaction",
    "TransactionError",
    "__version__",
]

# Databases still open when the interpreter exits are closed, so what they
# buffered reaches the disk and their folders are unlocked.
_atexit.register(_close_all)
