"""The backup file: gzip-compressed JSON Lines with a header, counts and a checksum.

Layout (one gzip stream made of two members, readable by ``zcat`` or ``gzip.open``)::

    {"format": "langgraph-genesis-memory/backup", "version": 1, ...header...}   line 1
    {"type": "item", ...}                                                       records
    {"type": "checkpoint", ...}
    ...

The header is written last (it holds the counts and the SHA-256 of the record lines, which are
known only at the end) but stored first: records go to a temporary file beside ``path``, then the
final file is assembled (header member + the records' compressed bytes, copied as they are) and
renamed onto ``path``. So an interrupted backup never leaves a truncated file under its name,
and memory stays constant in the number of records.

Reading (:class:`BackupReader`) checks the header, then streams the records while hashing them;
at the end the checksum, the number of bytes and the counts per record type must match the
header, or :class:`~langgraph_genesis_memory.errors.BackupFormatError` is raised.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import queue
import shutil
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from langgraph_genesis_memory.errors import BackupFormatError, InvalidArgumentError

FORMAT = "langgraph-genesis-memory/backup"
"""The ``format`` field of every backup header."""

FORMAT_VERSION = 1
"""The newest format version this package writes and reads."""

COMPRESS_LEVEL = 6
"""gzip level of the records (zlib's default: a good size/speed balance for JSON)."""

RECORD_TYPES = ("item", "checkpoint")
"""The record types of format version 1."""


def _encode(record: Mapping[str, Any]) -> bytes:
    return (
        json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        + b"\n"
    )


class BackupWriter:
    """Writes a backup to ``path`` (see the module docstring).

    Args:
        path: The backup file to create.
        overwrite: Replace an existing file (default: refuse).

    Raises:
        InvalidArgumentError: If ``path`` exists and ``overwrite`` is false, or its folder does
            not exist.
    """

    def __init__(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        self.path = Path(path)
        if self.path.exists() and not overwrite:
            raise InvalidArgumentError(
                f"{self.path} exists; choose another path or pass overwrite=True."
            )
        if not self.path.parent.is_dir():
            raise InvalidArgumentError(f"The folder of {self.path} does not exist.")
        self._body_path = self.path.with_name(f".{self.path.name}.{os.getpid()}.records")
        self._raw: BinaryIO = open(self._body_path, "wb")  # noqa: SIM115 - closed in commit/abort
        self._gzip = gzip.GzipFile(
            filename="", mode="wb", fileobj=self._raw, compresslevel=COMPRESS_LEVEL, mtime=0
        )
        self._hash = hashlib.sha256()
        self.counts: Counter[str] = Counter()
        self.bytes = 0

    def write(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Append records (each a JSON object with a ``type``)."""
        data = b"".join(_encode(r) for r in records)
        for record in records:
            self.counts[str(record["type"])] += 1
        self._hash.update(data)
        self.bytes += len(data)
        self._gzip.write(data)

    def commit(self, header: Mapping[str, Any]) -> dict[str, Any]:
        """Finish: write the header (with counts and checksum) and move the file into place.

        Returns:
            The header as written.
        """
        self._gzip.close()
        self._raw.close()
        full = {
            **header,
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "counts": {t: int(self.counts.get(t, 0)) for t in RECORD_TYPES},
            "records_sha256": self._hash.hexdigest(),
            "records_bytes": self.bytes,
        }
        assembling = self.path.with_name(f".{self.path.name}.{os.getpid()}.assembling")
        try:
            with open(assembling, "wb") as out:
                with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as head:
                    head.write(_encode(full))
                with open(self._body_path, "rb") as body:
                    shutil.copyfileobj(body, out, 1024 * 1024)
                out.flush()
                os.fsync(out.fileno())
            os.replace(assembling, self.path)
        finally:
            for leftover in (assembling, self._body_path):
                leftover.unlink(missing_ok=True)
        return full

    def abort(self) -> None:
        """Give up: remove the temporary file; ``path`` is left untouched."""
        try:
            self._gzip.close()
        finally:
            self._raw.close()
            self._body_path.unlink(missing_ok=True)


def _bad(path: Path, message: str) -> BackupFormatError:
    return BackupFormatError(f"{path}: {message}")


class BackupReader:
    """Reads a backup written by :class:`BackupWriter`.

    Args:
        path: The backup file.

    Raises:
        BackupFormatError: If the file is not a backup of a format version this package reads.
        InvalidArgumentError: If the file does not exist.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise InvalidArgumentError(f"No backup file at {self.path}.")
        self.header = self._read_header()

    def _read_header(self) -> dict[str, Any]:
        try:
            with gzip.open(self.path, "rb") as stream:
                first = stream.readline(16 * 1024 * 1024)
        except (OSError, EOFError) as exc:
            raise _bad(self.path, f"not a gzip-compressed backup ({exc}).") from exc
        try:
            header = json.loads(first)
        except ValueError as exc:
            raise _bad(self.path, "the first line is not a JSON header.") from exc
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise _bad(self.path, f"not a langgraph-genesis-memory backup (format {FORMAT!r}).")
        version = header.get("version")
        if not isinstance(version, int) or version < 1:
            raise _bad(self.path, f"invalid format version {version!r}.")
        if version > FORMAT_VERSION:
            raise _bad(
                self.path,
                f"format version {version} was written by a newer langgraph-genesis-memory; "
                f"this one reads up to version {FORMAT_VERSION}: upgrade the package.",
            )
        for name in ("counts", "records_sha256", "records_bytes"):
            if name not in header:
                raise _bad(self.path, f"the header has no {name!r}.")
        return dict(header)

    def records(self) -> Iterator[dict[str, Any]]:
        """Stream the records; after the last one, check checksum, size and counts.

        Raises:
            BackupFormatError: On a malformed line (named by its number), a truncated file, or
                content that does not match the header.
        """
        digest = hashlib.sha256()
        counts: Counter[str] = Counter()
        size = 0
        line_no = 1
        try:
            with gzip.open(self.path, "rb") as stream:
                stream.readline(16 * 1024 * 1024)
                for line in stream:
                    line_no += 1
                    digest.update(line)
                    size += len(line)
                    try:
                        record = json.loads(line)
                    except ValueError as exc:
                        raise _bad(self.path, f"line {line_no} is not JSON ({exc}).") from exc
                    if not isinstance(record, dict) or record.get("type") not in RECORD_TYPES:
                        raise _bad(self.path, f"line {line_no} is not a known record.")
                    counts[record["type"]] += 1
                    record["_line"] = line_no
                    yield record
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise _bad(self.path, f"the file is damaged or truncated ({exc}).") from exc
        expected = self.header["counts"]
        if digest.hexdigest() != self.header["records_sha256"] or size != int(
            self.header["records_bytes"]
        ):
            raise _bad(self.path, "the records do not match the header's SHA-256 checksum.")
        for kind in RECORD_TYPES:
            if int(expected.get(kind, 0)) != counts.get(kind, 0):
                raise _bad(
                    self.path,
                    f"the header counts {expected.get(kind, 0)} {kind} records; the file holds "
                    f"{counts.get(kind, 0)}.",
                )


_DONE = object()


class WriteBehind:
    """Runs a :class:`BackupWriter`'s encoding and compression in a worker thread.

    While the main thread waits for MongoDB's next page, the previous one is encoded, hashed
    and compressed (zlib releases the GIL; the main thread mostly waits on its socket). A
    failure in the worker is raised by the next :meth:`write` or by :meth:`close`.

    Args:
        writer: The writer to feed.
        depth: Pages queued at most (bounds memory).
    """

    def __init__(self, writer: BackupWriter, depth: int = 2) -> None:
        self.writer = writer
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="genesis-backup", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            records = self._queue.get()
            if records is _DONE:
                return
            if self._error is None:
                try:
                    self.writer.write(records)
                except BaseException as exc:  # handed to the main thread
                    self._error = exc

    def write(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Queue records (raises a failure of earlier pages)."""
        if self._error is not None:
            raise self._error
        self._queue.put(records)

    def close(self) -> None:
        """Wait until every queued page is written (raises a failure of any page)."""
        self._queue.put(_DONE)
        self._thread.join()
        if self._error is not None:
            raise self._error


class ReadAhead:
    """Reads the next chunks of records in a worker thread while the current one is written.

    Args:
        records: The records (a :meth:`BackupReader.records` iterator).
        size: Records per chunk.
        depth: Chunks read ahead at most.
    """

    def __init__(self, records: Iterator[dict[str, Any]], size: int, depth: int = 2) -> None:
        self._records = records
        self._size = size
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="genesis-restore", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        try:
            while not self._stop.is_set():
                chunk = list(islice(self._records, self._size))
                self._queue.put(chunk)
                if not chunk:
                    return
        except BaseException as exc:  # handed to the main thread
            self._queue.put(exc)

    def next(self) -> list[dict[str, Any]]:
        """The next chunk (``[]`` at the end).

        Raises:
            BackupFormatError: As :meth:`BackupReader.records`.
        """
        item = self._queue.get()
        if isinstance(item, BaseException):
            raise item
        return item  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop reading ahead."""
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
