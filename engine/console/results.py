"""A statement's result as the console shows it: pages of JSON cells, media cells by URL.

`ResultPager` reads the execution's Arrow batches only as far as the pages asked for, and
keeps what it read (up to `console.max_result_bytes`) so a user can page back; a result past
that limit is shown up to it and downloaded whole by computing it again (`Execution.reopen`).
Cells are JSON values; a BINARY cell is a reference (`$binary`: size, sniffed media type, the
URL of its bytes), so a page of 100 scans costs a few kilobytes and the browser fetches each
image, recording or video itself.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import io
import math
import threading
from typing import Iterator

import pyarrow as pa

MAX_TEXT = 20_000        # characters of one string cell sent in a page
MAX_NESTED = 1_000       # elements of one array cell sent in a page

# Magic numbers of the media a browser can show; anything else is application/octet-stream.
# Never text/html or image/svg+xml: bytes from a table must not run as a page of this origin.
_MAGIC = [
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"OggS", "audio/ogg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm"),
    (4, b"ftyp", "video/mp4"),
]
_RIFF = {b"WAVE": "audio/wav", b"WEBP": "image/webp", b"AVI ": "video/x-msvideo"}


def sniff(data: bytes, name: str | None = None) -> str:
    """The media type of `data`, from its first bytes (a file name only breaks ties: an MP4
    container named .m4a is audio)."""
    head = bytes(data[:16])
    if head[:4] == b"RIFF" and head[8:12] in _RIFF:
        return _RIFF[head[8:12]]
    if head[:2] in (b"\xff\xfb", b"\xff\xf3"):  # an MP3 frame without an ID3 tag
        return "audio/mpeg"
    for offset, magic, mime in _MAGIC:
        if head[offset:offset + len(magic)] == magic:
            if mime == "video/mp4" and name and name.lower().endswith(".m4a"):
                return "audio/mp4"
            return mime
    return "application/octet-stream"


class ResultTooLarge(Exception):
    """A page past what the console keeps of a result (console.max_result_bytes)."""


class KeptBytes:
    """What every result of the server keeps together, under `console.max_kept_bytes`: sessions
    times statements times `console.max_result_bytes` would be far more than any machine has."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def take(self, n: int, *, force: bool = False) -> bool:
        with self._lock:
            if not force and self.used + n > self.limit:
                return False
            self.used += n
            return True

    def give(self, n: int) -> None:
        with self._lock:
            self.used -= n


class ResultPager:
    """Pages of one execution's result, read lazily and kept for paging back; see the module docstring."""

    def __init__(self, execution, max_bytes: int, kept: KeptBytes | None = None):
        self.execution = execution
        self.max_bytes = max_bytes
        self.kept = kept or KeptBytes(max_bytes)
        self.batches: list[pa.RecordBatch] = []
        self._starts: list[int] = []   # the first row of each kept batch
        self.rows = 0                  # rows kept
        self.kept_bytes = 0
        self.complete = False          # the whole result is kept
        self.truncated = False         # the result is larger than what is kept
        self._source: Iterator[pa.RecordBatch] | None = None
        self._lock = threading.Lock()

    @property
    def row_count(self) -> int | None:
        return self.rows if self.complete else None

    def _read_to(self, end: int) -> None:
        """Keep batches until `end` rows are kept or the result ends (caller holds the lock)."""
        if self._source is None:
            self._source = self.execution.batches()
        while self.rows < end and not (self.complete or self.truncated):
            try:
                batch = next(self._source)
            except StopIteration:
                self.complete = True
                break
            if not batch.num_rows:
                continue
            # The first batch is always kept: a page shows something, whatever the limits.
            if (self.batches and self.kept_bytes + batch.nbytes > self.max_bytes
                    or not self.kept.take(batch.nbytes, force=not self.batches)):
                self.truncated = True
                self._source.close()  # the rest is computed again by a download
                break
            self._starts.append(self.rows)
            self.batches.append(batch)
            self.rows += batch.num_rows
            self.kept_bytes += batch.nbytes

    def release(self) -> None:
        """Drop what is kept (the statement was closed)."""
        with self._lock:
            self.kept.give(self.kept_bytes)
            self.batches, self._starts, self.kept_bytes, self.rows = [], [], 0, 0
            self.complete, self.truncated = False, True

    def page(self, offset: int, limit: int) -> tuple[pa.Table, bool]:
        """Rows [offset, offset+limit) and whether more rows follow."""
        with self._lock:
            self._read_to(offset + limit + 1)  # one more: is there a next page?
            if offset >= self.rows and self.truncated:
                raise ResultTooLarge(f"the console keeps the first {self.rows} rows of this result "
                                     f"(console.max_result_bytes = {self.max_bytes}, and console.max_kept_bytes "
                                     f"for every result together); download it for every row")
            table = self._table().slice(offset, limit)
            return table, self.rows > offset + limit or self.truncated

    def cell(self, row: int, col: int):
        """One kept cell's value (a Python object)."""
        with self._lock:
            self._read_to(row + 1)
            if row >= self.rows:
                raise IndexError(f"row {row} is not in the result")
            i = _bisect(self._starts, row)
            batch = self.batches[i]
            if not 0 <= col < batch.num_columns:
                raise IndexError(f"column {col} is not in the result")
            return batch.column(col)[row - self._starts[i]].as_py()

    def _table(self) -> pa.Table:
        schema = self.execution.schema if self.execution.schema is not None else pa.schema([])
        return pa.Table.from_batches(self.batches, schema=schema)

    def all_batches(self) -> Iterator[pa.RecordBatch]:
        """The whole result for a download: what is kept, or the statement computed again."""
        with self._lock:
            self._read_to(1 << 62)
            kept, complete = list(self.batches), self.complete
        if complete:
            yield from kept
        else:
            yield from self.execution.reopen()


def _bisect(starts: list[int], row: int) -> int:
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= row:
            lo = mid
        else:
            hi = mid - 1
    return lo


# ---------------------------------------------------------------------- cells as JSON
def name_column(schema: pa.Schema) -> int | None:
    """The column that names each row's file (a volume's `name` or `path`), if any."""
    for wanted in ("name", "path"):
        for i, f in enumerate(schema):
            if f.name.lower() == wanted and pa.types.is_string(f.type):
                return i
    return None


def encode_page(table: pa.Table, offset: int, cell_url) -> list[list]:
    """Rows of JSON cells; `cell_url(row, col)` is the URL of a top-level BINARY cell's bytes."""
    names_at = name_column(table.schema)
    names = table.column(names_at).to_pylist() if names_at is not None else [None] * table.num_rows
    columns = []
    for c, column in enumerate(table.columns):
        values = column.to_pylist()
        if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
            columns.append([None if v is None else _binary(v, names[r], cell_url(offset + r, c))
                            for r, v in enumerate(values)])
        else:
            columns.append([_json(v) for v in values])
    return [list(row) for row in zip(*columns)] if columns else []


def _binary(data: bytes, name: str | None, url: str | None) -> dict:
    return {"$binary": {"size": len(data), "mime": sniff(data, name), "name": name, "url": url}}


def _json(v):
    if v is None or isinstance(v, bool) or isinstance(v, str) and len(v) <= MAX_TEXT:
        return v
    if isinstance(v, str):
        return {"$text": v[:MAX_TEXT], "length": len(v)}
    if isinstance(v, int):
        return v if abs(v) <= 2 ** 53 else str(v)
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)
    if isinstance(v, (bytes, bytearray)):
        return _binary(bytes(v), None, None)
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    if isinstance(v, dict):
        return {str(k): _json(x) for k, x in v.items()}
    if isinstance(v, list):
        if v and isinstance(v[0], tuple) and len(v[0]) == 2:  # a MAP as Arrow gives it
            return {"$map": [[_json(k), _json(x)] for k, x in v[:MAX_NESTED]]}
        return [_json(x) for x in v[:MAX_NESTED]]
    return str(v)


# ---------------------------------------------------------------------- downloads
def csv_chunks(schema: pa.Schema, batches: Iterator[pa.RecordBatch]) -> Iterator[bytes]:
    """CSV with a header; BINARY as base64, nested values as JSON-like text."""
    import csv
    import json

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(schema.names)
    yield buf.getvalue().encode()
    for batch in batches:
        buf.seek(0)
        buf.truncate()
        for row in zip(*(c.to_pylist() for c in batch.columns)):
            writer.writerow(["" if v is None else base64.b64encode(v).decode() if isinstance(v, bytes)
                             else json.dumps(_json(v)) if isinstance(v, (list, dict)) else _json(v)
                             for v in row])
        yield buf.getvalue().encode()


def parquet_chunks(schema: pa.Schema, batches: Iterator[pa.RecordBatch]) -> Iterator[bytes]:
    """A Parquet file written batch by batch; each written piece is sent as it is made."""
    import pyarrow.parquet as pq

    sink = _Drain()
    with pq.ParquetWriter(sink, schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
            yield from sink.take()
    yield from sink.take()


class _Drain(io.RawIOBase):
    """A write-only file whose bytes are taken away as they come (a streamed download)."""

    def __init__(self):
        self._parts: list[bytes] = []
        self._pos = 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self._parts.append(bytes(b))
        self._pos += len(b)
        return len(b)

    def tell(self) -> int:
        return self._pos

    def take(self) -> Iterator[bytes]:
        parts, self._parts = self._parts, []
        yield from parts
