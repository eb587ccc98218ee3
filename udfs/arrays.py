"""Fixed-width list columns (signatures, vectors) as NumPy matrices and back."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .spec import FunctionError


def list_matrix(values: pa.Array) -> tuple[np.ndarray | None, np.ndarray]:
    """Rows of a list array as a 2-D matrix (zeros where NULL) when every non-null row has the
    same length, else None; and the validity mask."""
    valid = ~np.asarray(values.is_null().to_numpy(zero_copy_only=False))
    lengths = np.where(valid, pc.list_value_length(values).to_numpy(zero_copy_only=False), 0)
    widths = set(int(x) for x in lengths[valid])
    if len(widths) > 1:
        return None, valid
    width = widths.pop() if widths else 0
    flat = values.flatten().to_numpy(zero_copy_only=False)
    full = np.zeros((len(values), width), dtype=flat.dtype if len(flat) else np.float64)
    if width:
        full[valid] = flat.reshape(-1, width)
    return full, valid


def paired_matrices(a: pa.Array, b: pa.Array, error: str):
    """Two list columns for row-wise comparison: (matrix a, matrix b, rows where both are set).
    Matrices are None when no row has both; `error` is raised for lengths that differ."""
    ma, va = list_matrix(a)
    mb, vb = list_matrix(b)
    both = va & vb
    if not both.any():
        return None, None, both
    if ma is None or mb is None or ma.shape[1] != mb.shape[1]:
        raise FunctionError(error)
    return ma, mb, both


def fixed_lists(rows: np.ndarray | None, valid, value_type: pa.DataType) -> pa.Array:
    """A list array with one row of `rows` per valid entry of `valid` (in order), NULL elsewhere."""
    valid = np.asarray(valid, dtype=bool)
    width = 0 if rows is None or len(rows) == 0 else rows.shape[1]
    offsets = np.concatenate([[0], np.cumsum(np.where(valid, width, 0))]).astype(np.int32)
    flat = np.zeros(0) if rows is None else np.ascontiguousarray(rows).reshape(-1)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(flat, value_type), mask=pa.array(~valid))
