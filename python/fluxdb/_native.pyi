"""Type hints of the native module (the Rust engine's Python binding)."""

from collections.abc import Iterable, Sequence
from os import PathLike
from types import TracebackType
from typing import Any, Literal, Optional, Protocol, Union, final

from typing_extensions import Self, disjoint_base

__all__ = [
    "FluxDB",
    "FindIter",
    "Transaction",
    "FluxDBError",
    "CollectionNotFoundError",
    "TransactionError",
    "RecordEncodingError",
    "__version__",
    "_close_all",
]

__version__: str

_Record = dict[str, Any]
"""A record: a dict of str keys, with its ``_id`` first when it is read."""

class _StorageBackend(Protocol):
    """What ``storage_backend`` must offer (the Python library's methods)."""

    def encode_record(self, data: dict[str, Any], /) -> bytes: ...
    def decode_record(self, data: bytes, /) -> Optional[dict[str, Any]]: ...

class FluxDBError(Exception):
    """Base exception for FluxDB errors."""

class CollectionNotFoundError(FluxDBError):
    """Raised when a collection does not exist."""

class TransactionError(FluxDBError):
    """Raised when a transaction operation fails."""

class RecordEncodingError(FluxDBError):
    """Raised when encoding or decoding a record fails."""

@disjoint_base
class FluxDB:
    """A FluxDB database: a folder with one ``.fdb`` file per collection."""

    def __new__(
        cls,
        db_path: Union[str, PathLike[str]],
        storage_backend: Optional[_StorageBackend] = None,
        *,
        shared: bool = False,
    ) -> Self: ...
    @property
    def db_path(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def create_collection(
        self, collection: str, indexed_fields: Optional[Sequence[str]] = None
    ) -> bool: ...
    def drop_collection(self, collection: str) -> bool: ...
    def clear_collection(self, collection: str) -> bool: ...
    def list_collections(self) -> list[str]: ...
    def insert(self, collection: str, data: dict[str, Any]) -> str: ...
    def insert_many(
        self, collection: str, data_list: Iterable[dict[str, Any]]
    ) -> list[str]: ...
    def find(
        self,
        collection: str,
        query: Optional[dict[str, Any]] = None,
        limit: Optional[int] = None,
        skip: int = 0,
        sort: Optional[dict[str, int]] = None,
    ) -> list[_Record]: ...
    def find_iter(
        self,
        collection: str,
        query: Optional[dict[str, Any]] = None,
        limit: Optional[int] = None,
        skip: int = 0,
        sort: Optional[dict[str, int]] = None,
    ) -> FindIter: ...
    def update(
        self, collection: str, record_id: str, update_data: dict[str, Any]
    ) -> bool: ...
    def delete(self, collection: str, record_id: str) -> bool: ...
    def exists(self, collection: str, record_id: str) -> bool: ...
    def count(self, collection: str, query: Optional[dict[str, Any]] = None) -> int: ...
    def aggregate(
        self, collection: str, pipeline: list[dict[str, Any]]
    ) -> list[_Record]: ...
    def begin_transaction(self) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def transaction(self) -> Transaction: ...
    def export_collection(
        self, collection: str, output_file: Union[str, PathLike[str]]
    ) -> bool: ...
    def import_collection(
        self, collection: str, input_file: Union[str, PathLike[str]]
    ) -> bool: ...
    def flush(self) -> None: ...
    def refresh(self) -> int: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]] = None,
        exc_value: Optional[BaseException] = None,
        traceback: Optional[TracebackType] = None,
    ) -> Literal[False]: ...

@final
class FindIter:
    """The iterator ``find_iter`` returns: each matching record as a dict."""

    def __iter__(self) -> Self: ...
    def __next__(self) -> _Record: ...
    def __length_hint__(self) -> int: ...

@final
class Transaction:
    """``with db.transaction():`` commits at the end, rolls back on an exception."""

    def __enter__(self) -> FluxDB: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]] = None,
        exc_value: Optional[BaseException] = None,
        traceback: Optional[TracebackType] = None,
    ) -> Literal[False]: ...

def _close_all() -> None: ...
