"""Render Arrow results for people (table) and programs (csv, json)."""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import date, datetime

import pyarrow as pa


def _cell(value, limit: int | None = 60):
    if value is None:
        return "NULL"
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    text = str(value)
    if limit and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def render(table: pa.Table, fmt: str = "table") -> str:
    if fmt == "json":
        return "\n".join(json.dumps(row, default=_json_default) for row in table.to_pylist())
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(table.column_names)
        for row in table.to_pylist():
            writer.writerow(["" if v is None else _cell(v, None) for v in row.values()])
        return buf.getvalue().rstrip("\n")
    if table.num_columns == 0:
        return "OK"
    if table.column_names == ["plan"] and table.num_rows == 1:
        return str(table.column(0)[0].as_py())  # EXPLAIN: the plan as it is, not one cut cell
    from tabulate import tabulate

    rows = [[_cell(v) for v in row.values()] for row in table.to_pylist()]
    text = tabulate(rows, headers=table.column_names, tablefmt="psql", disable_numparse=True)
    return f"{text}\n({table.num_rows} row{'s' if table.num_rows != 1 else ''})"


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    return str(value)
