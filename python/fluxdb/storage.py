"""Storage backends, where the Python FluxDB 0.1 library kept them, so that
code deriving its own backend from ``StorageBackend`` runs as it is.

A backend turns a record into bytes (``encode_record``) and back
(``decode_record``); pass one as ``FluxDB(path, storage_backend=...)``.
``BinaryStorage`` is the default: passing an instance of it is the same as
passing nothing (the engine's native format, types kept).
"""

import struct
import uuid
from typing import Any, Optional

from ._native import RecordEncodingError

__all__ = ["BinaryStorage", "StorageBackend"]

_U32 = struct.Struct("!I")
_ID_BYTES = 36


class StorageBackend:
    """Base class of a storage backend."""

    def encode_record(self, data: dict[str, Any]) -> bytes:
        """The bytes that store ``data``."""
        raise NotImplementedError

    def decode_record(self, data: bytes) -> Optional[dict[str, Any]]:
        """The record ``data`` holds (None if it holds none)."""
        raise NotImplementedError


class BinaryStorage(StorageBackend):
    """The Python FluxDB 0.1 record layout: a big-endian u32 length, the
    ``_id`` in 36 bytes, a u32 field count, then each field's key and
    ``str()`` of its value as length-prefixed UTF-8 (values read back as
    text). As ``storage_backend`` it stands for the default (the engine's
    native format); a subclass of it is used as written."""

    def encode_record(self, data: dict[str, Any]) -> bytes:
        """The whole record, its length first (as the library wrote it)."""
        try:
            # `_id` is a field too: in the caller's place, or last if new.
            fields = dict(data)
            fields.setdefault("_id", str(uuid.uuid4()))
            record_id = str(fields["_id"])
            parts = [record_id.encode("utf-8").ljust(_ID_BYTES, b"\0")[:_ID_BYTES], _U32.pack(len(fields))]
            for key, value in fields.items():
                for text in (str(key), str(value)):
                    encoded = text.encode("utf-8")
                    parts += [_U32.pack(len(encoded)), encoded]
            body = b"".join(parts)
            return _U32.pack(len(body)) + body
        except (struct.error, UnicodeEncodeError) as e:
            raise RecordEncodingError(f"Failed to encode record: {e}") from e

    def decode_record(self, data: bytes) -> Optional[dict[str, Any]]:
        """The record of a body (or of a whole record, its length first);
        None if the bytes are not one."""
        if len(data) >= 4 and _U32.unpack_from(data)[0] == len(data) - 4:
            data = data[4:]
        if len(data) < _ID_BYTES + 4:
            return None
        record: dict[str, Any] = {"_id": data[:_ID_BYTES].rstrip(b"\0").decode("utf-8", errors="ignore")}
        (count,) = _U32.unpack_from(data, _ID_BYTES)
        at = _ID_BYTES + 4
        texts = []
        for _ in range(2 * count):
            if at + 4 > len(data):
                return None
            (size,) = _U32.unpack_from(data, at)
            if at + 4 + size > len(data):
                return None
            texts.append(data[at + 4 : at + 4 + size].decode("utf-8", errors="ignore"))
            at += 4 + size
        record.update(zip(texts[0::2], texts[1::2]))
        return record
