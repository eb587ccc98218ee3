"""Every dedup method on planted duplicates: precision, recall and time at 100k rows.

Text: documents of 150–300 words (pseudo-words of 1–3 syllables, ~40,000 of them, drawn with a
Zipf exponent of 0.8 — a flatter distribution than English, whose frequent words make random
documents share many character 5-grams and so many MinHash candidates); 5%
get a byte-identical copy and 5% an edited copy (3% of the words replaced). Embeddings need
language: documents of three sentences from the standard library's docstrings, 10% with a
one-word-changed copy. Images: 64×64
synthetic pictures; 10% get a resized, recompressed JPEG copy. Ground truth is the family of
each original (the original and its copies: every pair in it). Each method runs as
`near_duplicates(TABLE(…), method => …)` at its default threshold through the SQL engine, and
its pairs are compared with the truth (for `exact`, the truth is the byte-identical copies).

    python bench/dedup.py [--rows 100000] [--images 100000] [--embedding-rows 100000] [--methods …]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, report  # noqa: E402

import lakelens  # noqa: E402


ALL_METHODS = ["exact", "minhash", "simhash", "phash", "dhash", "ahash", "embedding"]


def text_corpus(n: int, seed: int = 7):
    """(rows, families): ~n rows of (id, body); families maps each id to its original's id."""
    import numpy as np

    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    syllables = [a + b for a in "bcdfghjklmnprstvwz" for b in ("a", "e", "i", "o", "u", "ai", "ou", "ea")]
    vocab = sorted({"".join(rng.choice(syllables) for _ in range(rng.randrange(1, 4))) for _ in range(60000)})
    weights = 1.0 / np.arange(1, len(vocab) + 1) ** 0.8  # a flatter Zipf than English: see the docstring
    weights /= weights.sum()
    originals = int(n / 1.1)
    rows, family = [], {}
    for i in range(originals):
        words = [vocab[k] for k in nrng.choice(len(vocab), size=rng.randrange(150, 300), p=weights)]
        rows.append((i, " ".join(words)))
        family[i] = i
    next_id = originals
    for i in range(0, originals, 20):  # 5%: an exact copy
        rows.append((next_id, rows[i][1]))
        family[next_id] = i
        next_id += 1
    for i in range(10, originals, 20):  # 5% others: an edited copy
        words = rows[i][1].split()
        for _ in range(max(1, len(words) * 3 // 100)):
            words[rng.randrange(len(words))] = rng.choice(vocab)
        rows.append((next_id, " ".join(words)))
        family[next_id] = i
        next_id += 1
    return rows, family


def stdlib_sentences() -> list[str]:
    """Distinct English sentences (8–40 words) from the docstrings of Python's standard library,
    read with `ast` (nothing is imported): ~10,000 on Python 3.11."""
    import ast
    import re
    import sysconfig

    found = set()
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py")):
        if {"test", "tests", "site-packages"} & set(path.parts):
            continue
        try:
            tree = ast.parse(path.read_text(errors="ignore"))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                for sentence in re.split(r"(?<=[.!?])\s+", " ".join((ast.get_docstring(node) or "").split())):
                    if 8 <= len(sentence.split()) <= 40 and sentence[0].isupper() and sentence.endswith(".") \
                            and sum(c.isalpha() or c == " " for c in sentence) > 0.9 * len(sentence):
                        found.add(sentence)
    return sorted(found)


def english_corpus(n: int, seed: int = 8):
    """For embeddings (which need language, not pseudo-words): documents of three sentences drawn
    from the standard library's docstrings; 10% get a copy with one word replaced."""
    rng = random.Random(seed)
    sentences = stdlib_sentences()
    originals = int(n / 1.1)
    rows = [(i, " ".join(rng.sample(sentences, 3))) for i in range(originals)]
    family = {i: i for i in range(originals)}
    for i in range(0, originals, 10):
        words = rows[i][1].split()
        words[rng.randrange(len(words))] = rng.choice(rng.choice(sentences).split())
        rows.append((originals + i, " ".join(words)))
        family[originals + i] = i
    return rows, family


def image_corpus(n: int, seed: int = 11):
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    rows, family = [], {}
    originals = int(n / 1.1)
    for i in range(originals):
        img = Image.new("RGB", (64, 64), tuple(rng.randrange(256) for _ in range(3)))
        draw = ImageDraw.Draw(img)
        for _ in range(4):
            x, y = rng.randrange(48), rng.randrange(48)
            shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
            shape((x, y, x + rng.randrange(8, 40), y + rng.randrange(8, 40)), fill=tuple(rng.randrange(256) for _ in range(3)))
        buf = io.BytesIO()
        img.save(buf, "PNG")
        rows.append((i, buf.getvalue()))
        family[i] = i
        if i % 10 == 0:
            small = img.resize((48, 48))
            out = io.BytesIO()
            small.save(out, "JPEG", quality=70)
            rows.append((originals + i, out.getvalue()))
            family[originals + i] = i
    return rows, family


def truth_pairs(family: dict, only_exact_ids: set | None = None) -> set:
    groups: dict = {}
    for member, origin in family.items():
        if only_exact_ids is None or member in only_exact_ids or member == origin:
            groups.setdefault(origin, []).append(member)
    return {(min(a, b), max(a, b)) for g in groups.values() for i, a in enumerate(g) for b in g[i + 1:]}


def load(s, name: str, rows, body_type: str, tmp: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp / f"{name}.parquet"
    pq.write_table(pa.table({"id": [r[0] for r in rows], "body": [r[1] for r in rows]},
                            schema=pa.schema([("id", pa.int64()), ("body", pa.string() if body_type == "string"
                                                                    else pa.binary())])), path, row_group_size=5000)
    s.sql(f"PUT '{path}' INTO '/Volumes/main/default/input/' OVERWRITE")
    s.sql(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_files('/Volumes/main/default/input/{name}.parquet', "
          "format => 'parquet')")


def rows_of(table) -> list[tuple]:
    return list(zip(*[c.to_pylist() for c in table.columns]))


def measure(s, table: str, method: str, truth: set) -> dict:
    try:
        return _measure(s, table, method, truth)
    except lakelens.LakelensError as e:  # e.g. DEDUP_TOO_MANY_CANDIDATES: a row, and the other methods go on
        return {"method": method, "error": str(e)[:300], "at": time.strftime("%Y-%m-%dT%H:%M:%S")}


def _measure(s, table: str, method: str, truth: set) -> dict:
    start = time.perf_counter()
    found = {(a, b) for a, b in rows_of(s.sql(f"SELECT id_a, id_b FROM near_duplicates(TABLE({table}), id => 'id', "
                                      f"on => 'body', method => '{method}')"))}
    seconds = time.perf_counter() - start
    hits = len(found & truth)
    return {"method": method, "rows": rows_of(s.sql(f"SELECT count(*) FROM {table}"))[0][0],
            "planted_pairs": len(truth), "found_pairs": len(found),
            "precision": hits / len(found) if found else 1.0, "recall": hits / len(truth) if truth else 1.0,
            "seconds": round(seconds, 1), "at": time.strftime("%Y-%m-%dT%H:%M:%S")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--images", type=int, default=100_000)
    ap.add_argument("--embedding-rows", type=int, default=100_000)
    ap.add_argument("--methods", default=",".join(ALL_METHODS))
    args = ap.parse_args()
    methods = args.methods.split(",")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        s = lakelens.connect(home=tmp / "home")
        s.sql("CREATE VOLUME main.default.input")
        if {"exact", "minhash", "simhash"} & set(methods):
            rows, family = text_corpus(args.rows)
            load(s, "docs", rows, "string", tmp)
            exact_ids = {m for m, o in family.items() if m != o and rows[m][1] == rows[o][1]}
            for method in ("exact", "minhash", "simhash"):
                if method in methods:
                    truth = truth_pairs(family, exact_ids) if method == "exact" else truth_pairs(family)
                    out.append(measure(s, "docs", method, truth))
                    print(out[-1], flush=True)
        if "embedding" in methods:
            rows, family = english_corpus(args.embedding_rows)
            load(s, "edocs", rows, "string", tmp)
            out.append(measure(s, "edocs", "embedding", truth_pairs(family)))
            print(out[-1], flush=True)
        if {"phash", "dhash", "ahash"} & set(methods):
            rows, family = image_corpus(args.images)
            load(s, "pics", rows, "binary", tmp)
            for method in ("phash", "dhash", "ahash"):
                if method in methods:
                    out.append(measure(s, "pics", method, truth_pairs(family)))
                    print(out[-1], flush=True)
    # Rows of methods not run this time are kept from the last results, each with its own time.
    previous = RESULTS / "dedup.json"
    if previous.exists() and set(methods) != set(ALL_METHODS):
        kept = [r for r in json.loads(previous.read_text())["rows"] if r["method"] not in methods]
        out = sorted(kept + out, key=lambda r: ALL_METHODS.index(r["method"]))
    report("dedup", out)


if __name__ == "__main__":
    main()
