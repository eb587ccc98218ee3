"""The web console's result pages (engine/console/results.py) on real executions: what a page
holds, what it keeps, and how cells become JSON."""

from __future__ import annotations

import decimal

import pyarrow as pa
import pytest

from lakelens.engine.console.results import KeptBytes, ResultPager, ResultTooLarge, encode_page, sniff
from tests.media import text_image, tone_wav, video


def test_media_types_come_from_the_bytes_not_the_name():
    pdf = b"%PDF-1.7\n..."
    assert sniff(text_image("x")) == "image/png"
    assert sniff(text_image("x", fmt="JPEG")) == "image/jpeg"
    assert sniff(tone_wav(0.1)) == "audio/wav"
    assert sniff(video(0.5)) == "video/mp4"
    assert sniff(pdf) == "application/pdf"
    # A page or a script named like a picture is still not served as one.
    assert sniff(b"<html><script>alert(1)</script>", "cat.png") == "application/octet-stream"
    assert sniff(b'<svg xmlns="http://www.w3.org/2000/svg"/>', "logo.svg") == "application/octet-stream"


def test_cells_as_json():
    table = pa.table({
        "name": ["a.png", None],
        "content": pa.array([text_image("hi"), None], pa.binary()),
        "big": [2 ** 60, 1],
        "price": pa.array([decimal.Decimal("1.50"), None], pa.decimal128(10, 2)),
        "ratio": [float("nan"), 0.25],
        "tags": [["x", "y"], []],
        "s": [{"a": 1, "b": b"\x00"}, None],
        "m": pa.array([[("k", 1)], None], pa.map_(pa.string(), pa.int64())),
        "text": ["x" * 30_000, "short"],
    })
    rows = encode_page(table, 10, lambda r, c: f"/cells/{r}/{c}")
    first, second = rows
    assert first[0] == "a.png"
    assert first[1] == {"$binary": {"size": len(table.column("content")[0].as_py()), "mime": "image/png",
                                    "name": "a.png", "url": "/cells/10/1"}}
    assert first[2] == str(2 ** 60) and second[2] == 1  # past 2^53 a JavaScript number loses digits
    assert first[3] == "1.50" and second[3] is None
    assert first[4] == "nan" and second[4] == 0.25
    assert first[5] == ["x", "y"] and second[5] == []
    assert first[6] == {"a": 1, "b": {"$binary": {"size": 1, "mime": "application/octet-stream", "name": None,
                                                  "url": None}}}
    assert first[7] == {"$map": [["k", 1]]}
    assert first[8] == {"$text": "x" * 20_000, "length": 30_000} and second[8] == "short"


@pytest.mark.slow
def test_pages_read_only_what_they_show_and_keep_at_most_the_limit(lake):
    execution = lake.submit("SELECT id FROM range(0, 100000, 1, 8)")  # 8 batches of 12,500 rows
    pager = ResultPager(execution, max_bytes=150_000)  # room for one batch (100 KB)
    page, more = pager.page(0, 100)
    assert page.column("id").to_pylist() == list(range(100)) and more
    assert len(pager.batches) == 1 and pager.row_count is None
    page, more = pager.page(12_400, 100)  # the last rows kept
    assert page.column("id").to_pylist()[-1] == 12_499 and more and pager.truncated
    with pytest.raises(ResultTooLarge, match="console.max_result_bytes"):
        pager.page(12_500, 100)
    # A download computes the statement again for every row.
    assert sum(b.num_rows for b in pager.all_batches()) == 100_000
    execution.close()

    execution = lake.submit("SELECT id FROM range(0, 1000, 1, 2)")
    pager = ResultPager(execution, max_bytes=1 << 20)
    page, more = pager.page(900, 500)
    assert page.num_rows == 100 and not more and pager.row_count == 1000 and not pager.truncated
    assert pager.cell(999, 0) == 999
    with pytest.raises(IndexError):
        pager.cell(1000, 0)
    execution.close()


@pytest.mark.slow
def test_every_result_together_keeps_at_most_the_servers_limit(lake):
    """console.max_kept_bytes: a result that would pass it keeps its first batch only; closing a
    statement gives its bytes back."""
    kept = KeptBytes(250_000)
    a = ResultPager(lake.submit("SELECT id FROM range(0, 50000, 1, 2)"), 1 << 30, kept)  # 2 batches of 200 KB
    a.page(0, 30_000)
    assert a.truncated and kept.used == a.kept_bytes <= 250_000  # the rest did not fit
    b = ResultPager(lake.submit("SELECT id FROM range(0, 50000, 1, 2)"), 1 << 30, kept)
    page, _ = b.page(0, 10)  # over the limit already: still its first batch, to show something
    assert page.column("id").to_pylist() == list(range(10)) and len(b.batches) == 1
    with pytest.raises(ResultTooLarge, match="console.max_kept_bytes"):
        b.page(b.rows, 10)
    a.release()
    b.release()
    assert kept.used == 0
    c = ResultPager(lake.submit("SELECT id FROM range(0, 1000, 1, 2)"), 1 << 30, kept)
    assert c.page(0, 1000)[0].num_rows == 1000 and c.complete
    for pager in (a, b, c):
        pager.execution.close()
