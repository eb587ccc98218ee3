"""Dedup at corpus scale: exact, MinHash and SimHash over millions of documents, with time,
peak memory of the whole process tree (driver, JVM, Python workers: the sum of PSS, shared
pages counted once, and the sum of RSS) and precision/recall.

The corpus: documents of 30–50 pseudo-words (~240 characters, a paragraph or a caption; words
of 1–3 syllables from a 40,000-word vocabulary drawn with a Zipf exponent of 0.8, as in
bench/dedup.py); 5% of the originals get a byte-identical copy and another 5% a copy with one
word in 30 replaced (at least one). It is generated with Arrow compute in a child process,
written as Parquet in chunks of 1M rows under --workdir and reused by later runs of the same
size; the ground truth (original, copy) is kept as NumPy arrays.

Each method runs as the statement a user would write,

    CREATE TABLE groups AS SELECT id, dup_group FROM dedup(TABLE(docs), id => 'id', on => 'body',
                                                          method => '…')

and is scored on its groups: a found pair is two documents in one group (transitive pairs
count), a hit is a planted pair in one group; `exact` is scored against the byte-identical
copies only.

    python bench/dedup_scale.py [--docs 10000000] [--methods exact,minhash,simhash]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, PeakTreeMemory, report  # noqa: E402

CHUNK = 1_000_000


def generate(docs: int, out: Path, seed: int = 7) -> None:
    """Write the corpus (Parquet chunks) and its truth (truth.npz) under `out`."""
    import random

    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    syllables = [a + b for a in "bcdfghjklmnprstvwz" for b in ("a", "e", "i", "o", "u", "ai", "ou", "ea")]
    vocab = pa.array(sorted({"".join(rng.choice(syllables) for _ in range(rng.randrange(1, 4))) for _ in range(60000)}))
    cdf = np.cumsum(1.0 / np.arange(1, len(vocab) + 1) ** 0.8)
    cdf /= cdf[-1]
    originals = int(docs / 1.1)
    copy_id = originals
    truth_a, truth_b, truth_exact = [], [], []
    out.mkdir(parents=True, exist_ok=True)
    for part, lo in enumerate(range(0, originals, CHUNK)):
        ids = np.arange(lo, min(lo + CHUNK, originals))
        lengths = nrng.integers(30, 51, size=len(ids))
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        words = np.searchsorted(cdf, nrng.random(offsets[-1]))
        exact = ids[ids % 20 == 0]
        edited = ids[ids % 20 == 10]
        # Edited copies: the original's words with one in 30 (at least one) replaced at random.
        e_local = edited - lo
        e_len = lengths[e_local]
        e_offsets = np.concatenate([[0], np.cumsum(e_len)])
        e_words = np.concatenate([words[offsets[i]:offsets[i + 1]] for i in e_local]) if len(e_local) else \
            np.zeros(0, np.int64)
        changes = np.maximum(1, e_len // 30)
        doc_of_change = np.repeat(np.arange(len(e_local)), changes)
        where = e_offsets[doc_of_change] + (nrng.random(len(doc_of_change)) * e_len[doc_of_change]).astype(np.int64)
        e_words[where] = nrng.integers(0, len(vocab), size=len(where))

        def texts(word_idx, offs):
            lists = pa.ListArray.from_arrays(pa.array(offs, pa.int32()), vocab.take(pa.array(word_idx)))
            return pc.binary_join(lists, " ")

        exact_ids = np.arange(copy_id, copy_id + len(exact))
        edited_ids = np.arange(copy_id + len(exact), copy_id + len(exact) + len(edited))
        copy_id += len(exact) + len(edited)
        body = texts(words, offsets)
        table = pa.table({
            "id": np.concatenate([ids, exact_ids, edited_ids]),
            "body": pa.concat_arrays([body, body.take(pa.array(exact - lo)), texts(e_words, e_offsets)]),
        })
        pq.write_table(table, out / f"part-{part:04d}.parquet", row_group_size=100_000)
        truth_a += [exact, edited]
        truth_b += [exact_ids, edited_ids]
        truth_exact += [np.ones(len(exact), bool), np.zeros(len(edited), bool)]
    np.savez(out / "truth.npz", a=np.concatenate(truth_a), b=np.concatenate(truth_b),
             exact=np.concatenate(truth_exact))
    (out / "manifest.json").write_text(json.dumps({"docs": docs, "seed": seed, "rows": int(copy_id)}))


def score(groups, truth, exact_only: bool) -> dict:
    """Precision and recall of the groups (id → dup_group of the rows in groups of 2+)."""
    import numpy as np

    ids = groups.column("id").to_numpy()
    labels = groups.column("dup_group").to_numpy()
    _, sizes = np.unique(labels, return_counts=True)
    found = int((sizes * (sizes - 1) // 2).sum())
    a, b = truth["a"], truth["b"]
    if exact_only:
        a, b = a[truth["exact"]], b[truth["exact"]]
    order = np.argsort(ids)
    ids, labels = ids[order], labels[order]

    def group_of(x):
        pos = np.clip(np.searchsorted(ids, x), 0, max(len(ids) - 1, 0))
        hit = (ids[pos] == x) if len(ids) else np.zeros(len(x), bool)
        return np.where(hit, labels[pos] if len(ids) else 0, -1), hit

    ga, ha = group_of(a)
    gb, hb = group_of(b)
    hits = int((ha & hb & (ga == gb)).sum())
    return {"planted_pairs": len(a), "found_pairs": found, "precision": round(hits / found, 4) if found else 1.0,
            "recall": round(hits / len(a), 4) if len(a) else 1.0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=10_000_000)
    ap.add_argument("--methods", default="exact,minhash,simhash")
    ap.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "lakelens-dedup-scale"))
    ap.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    corpus = Path(args.workdir) / f"corpus-{args.docs}"
    if args.generate_only:
        generate(args.docs, corpus)
        return
    if not (corpus / "manifest.json").exists():
        start = time.perf_counter()
        # A child process: the corpus never sits in this process, whose memory is measured.
        subprocess.run([sys.executable, __file__, "--docs", str(args.docs), "--workdir", args.workdir,
                        "--generate-only"], check=True)
        print(f"generated {args.docs:,} documents in {time.perf_counter() - start:.0f} s", flush=True)

    import numpy as np

    import lakelens

    truth = dict(np.load(corpus / "truth.npz"))
    rows = json.loads((corpus / "manifest.json").read_text())["rows"]
    out = []
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        s = lakelens.connect(home=Path(tmp) / "home")
        s.sql("CREATE VOLUME main.default.input")
        for part in sorted(corpus.glob("part-*.parquet")):
            s.sql(f"PUT '{part}' INTO '/Volumes/main/default/input/docs/'")
        start = time.perf_counter()
        s.sql("CREATE TABLE docs AS SELECT id, body FROM read_files('/Volumes/main/default/input/docs/', "
              "format => 'parquet')")
        print(f"loaded {rows:,} rows into a Delta table in {time.perf_counter() - start:.0f} s", flush=True)
        for method in args.methods.split(","):
            row = {"method": method, "rows": rows}
            try:
                with PeakTreeMemory() as memory:
                    start = time.perf_counter()
                    s.sql(f"CREATE TABLE groups_{method} AS SELECT id, dup_group FROM dedup(TABLE(docs), id => 'id', "
                          f"on => 'body', method => '{method}')")
                    row["seconds"] = round(time.perf_counter() - start, 1)
                row["peak_tree_pss_gib"] = round(memory.peak_pss / 2**30, 2)
                row["peak_tree_rss_gib"] = round(memory.peak / 2**30, 2)
                groups = s.sql(f"SELECT id, dup_group FROM groups_{method} WHERE dup_group IN "
                               f"(SELECT dup_group FROM groups_{method} GROUP BY 1 HAVING count(*) > 1)")
                row.update(score(groups, truth, exact_only=method == "exact"))
            except lakelens.LakelensError as e:  # e.g. DEDUP_TOO_MANY_CANDIDATES: a row, and the others go on
                row["error"] = str(e)[:300]
            row["docs_per_s"] = round(rows / row["seconds"]) if "seconds" in row else None
            row["at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
            out.append(row)
            print(row, flush=True)
    # Rows of methods not run this time are kept from the last results of this size, each with its time.
    name = f"dedup_scale_{args.docs}"
    if (RESULTS / f"{name}.json").exists():
        ran = {r["method"] for r in out}
        out = [r for r in json.loads((RESULTS / f"{name}.json").read_text())["rows"] if r["method"] not in ran] + out
    report(name, out)


if __name__ == "__main__":
    main()
