"""The exceptions, where the Python FluxDB 0.1 library kept them
(``from fluxdb.exceptions import FluxDBError`` keeps working)."""

from ._native import (
    CollectionNotFoundError,
    FluxDBError,
    RecordEncodingError,
    TransactionError,
)

__all__ = ["CollectionNotFoundError", "FluxDBError", "RecordEncodingError", "TransactionError"]
