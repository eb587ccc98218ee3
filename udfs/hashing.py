"""Dedup signatures: exact hashes, MinHash over character n-grams, perceptual image hashes."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pyarrow as pa

from .arrays import fixed_lists, paired_matrices
from .image import open_image
from .runtime import bounded, rowwise
from .spec import FunctionError, Param, function

MINHASH_SEED = 0x5EED


@function("content_hash", params=[Param("content", "binary|string")], returns="string", kind="dedup",
          modality="any",
          description="SHA-256 of the bytes (strings are hashed as UTF-8), as 64 hex digits: exact duplicates "
                      "share it.",
          example="SELECT content_hash(content), count(*) FROM demo.media.scans GROUP BY 1 HAVING count(*) > 1")
class ContentHash:
    def __call__(self, values: pa.Array) -> pa.Array:
        out = []
        for v in values.to_pylist():
            if v is None:
                out.append(None)
            else:
                out.append(hashlib.sha256(v.encode("utf-8") if isinstance(v, str) else v).hexdigest())
        return pa.array(out, type=pa.string())


def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(MINHASH_SEED)
    a = rng.integers(1, 2**63 - 1, size=num_perm, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63 - 1, size=num_perm, dtype=np.uint64)
    return a, b


def shingle_hashes(text: str, ngram: int) -> np.ndarray:
    """64-bit hashes of the n-grams of `text` (lower-cased, whitespace collapsed), taken over its
    UTF-8 bytes: character n-grams for ASCII text, slightly shorter ones for other scripts."""
    data = np.frombuffer(" ".join(text.lower().split()).encode("utf-8"), dtype=np.uint8).astype(np.uint64)
    if len(data) == 0:
        return np.zeros(0, dtype=np.uint64)
    k = min(ngram, len(data))
    n = len(data) - k + 1
    h = np.full(n, np.uint64(1469598103934665603))
    prime = np.uint64(1099511628211)
    with np.errstate(over="ignore"):
        for j in range(k):  # FNV-style polynomial hash of each window, vectorised over windows
            h = (h ^ data[j:j + n]) * prime
        h ^= h >> np.uint64(29)
    return np.unique(h)


def minhash_signature(text: str, num_perm: int, ngram: int, perms=None) -> np.ndarray:
    a, b = perms or _permutations(num_perm)
    shingles = shingle_hashes(text, ngram)
    if len(shingles) == 0:
        return np.full(num_perm, -1, dtype=np.int32)
    with np.errstate(over="ignore"):
        # Multiply-shift hashing: the high bits of a*x + b (mod 2^64) form a universal family;
        # keeping 31 of them makes every signature value a non-negative INT.
        values = (np.outer(a, shingles) + b[:, None]) >> np.uint64(33)
    return values.min(axis=1).astype(np.int32)


@function("minhash", params=[Param("text", "string"),
                             Param("num_perm", "int", literal=True, default=64, doc="signature length"),
                             Param("ngram", "int", literal=True, default=5, doc="characters per shingle")],
          returns="array<int>", kind="dedup", modality="text",
          description="MinHash signature of the text's character n-grams (lower-cased, whitespace collapsed). "
                      "The share of equal positions of two signatures estimates the Jaccard similarity of the "
                      "two shingle sets (see jaccard).",
          example="SELECT a.id, b.id FROM demo.media.articles a JOIN demo.media.articles b ON a.id < b.id "
                  "WHERE jaccard(minhash(a.body), minhash(b.body)) > 0.7")
class MinHash:
    def __init__(self, num_perm: int = 64, ngram: int = 5):
        if not 1 <= int(num_perm) <= 1024:
            raise FunctionError(f"minhash: num_perm must be between 1 and 1024, got {num_perm}")
        if not 1 <= int(ngram) <= 64:
            raise FunctionError(f"minhash: ngram must be between 1 and 64, got {ngram}")
        self.num_perm, self.ngram = int(num_perm), int(ngram)
        self.perms = _permutations(self.num_perm)

    def __call__(self, texts: pa.Array) -> pa.Array:
        values = texts.to_pylist()
        sigs = [minhash_signature(t, self.num_perm, self.ngram, self.perms) for t in values if t is not None]
        return fixed_lists(np.stack(sigs) if sigs else None, [t is not None for t in values], pa.int32())


@function("jaccard", params=[Param("a", "array<int>"), Param("b", "array<int>")], returns="double",
          kind="dedup", modality="text",
          description="Estimated Jaccard similarity of two MinHash signatures: the share of positions where "
                      "they agree. Signatures must have the same length (same num_perm).",
          example="SELECT jaccard(minhash('the quick brown fox'), minhash('the quick brown fox!'))")
class Jaccard:
    def __call__(self, a: pa.Array, b: pa.Array) -> pa.Array:
        ma, mb, both = paired_matrices(
            a, b, "jaccard: signatures must have the same length (compute both with the same num_perm)")
        if ma is None:
            return pa.nulls(len(a), pa.float64())
        out = np.where(both, (ma == mb).mean(axis=1) if ma.shape[1] else 0.0, np.nan)
        return pa.array(out, type=pa.float64(), mask=~both)


def phash_of(img) -> int:
    """64-bit DCT perceptual hash (the pHash construction): 32×32 grey, 2-D DCT, the top-left
    8×8 low frequencies, one bit per coefficient above their median."""
    from PIL import Image

    grey = np.asarray(img.convert("L").resize((32, 32), Image.Resampling.LANCZOS), dtype=np.float64)
    n = 32
    k = np.arange(n)
    basis = np.cos(np.pi * (2 * k[None, :] + 1) * k[:, None] / (2 * n))  # DCT-II matrix
    low = (basis @ grey @ basis.T)[:8, :8]
    bits = (low > np.median(low)).flatten()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return value - (1 << 64) if value >= (1 << 63) else value


@function("phash", params=[Param("image", "binary")], returns="bigint", kind="dedup", modality="image",
          reads_media=True,
          description="64-bit perceptual hash (DCT of a 32×32 greyscale copy): resized, recompressed or "
                      "slightly edited copies of a picture differ in few bits (see hamming_distance).",
          example="SELECT a.name, b.name FROM demo.media.photos a JOIN demo.media.photos b ON a.name < b.name "
                  "WHERE hamming_distance(phash(a.content), phash(b.content)) <= 6")
class PHash:
    def __call__(self, images: pa.Array) -> pa.Array:
        return pa.array([None if v is None else phash_of(open_image(v, "phash")) for v in images.to_pylist()],
                        type=pa.int64())


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.int32)


@function("hamming_distance", params=[Param("a", "bigint"), Param("b", "bigint")], returns="int",
          kind="dedup", modality="any",
          description="Number of differing bits between two 64-bit hashes (e.g. two phash values).",
          example="SELECT a.name, b.name, hamming_distance(phash(a.content), phash(b.content)) AS bits "
                  "FROM demo.media.photos a JOIN demo.media.photos b ON a.name < b.name ORDER BY bits LIMIT 3")
class HammingDistance:
    def __call__(self, a: pa.Array, b: pa.Array) -> pa.Array:
        valid = ~(np.asarray(a.is_null().to_numpy(zero_copy_only=False)) | np.asarray(b.is_null().to_numpy(zero_copy_only=False)))
        x = a.fill_null(0).to_numpy().astype(np.int64) ^ b.fill_null(0).to_numpy().astype(np.int64)
        counts = _POPCOUNT[x.view(np.uint8).reshape(-1, 8)].sum(axis=1).astype(np.int32)
        return pa.array(counts, type=pa.int32(), mask=~valid)


def simhash_of(text: str, ngram: int) -> int | None:
    """Charikar's 64-bit SimHash of the text's word n-grams (lower-cased), each weighted by its
    count; None for a text without words (blank texts are not near-duplicates of each other)."""
    tokens = re.findall(r"\w+", text.lower())
    grams = [" ".join(tokens[i:i + ngram]) for i in range(max(1, len(tokens) - ngram + 1))] if tokens else []
    if not grams:
        return None
    hashes = np.array([int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big") for g in grams],
                      dtype=np.uint64)
    bits = (hashes[:, None] >> np.arange(63, -1, -1, dtype=np.uint64)) & np.uint64(1)
    votes = (bits.astype(np.int64) * 2 - 1).sum(axis=0)
    value = 0
    for v in votes:
        value = (value << 1) | int(v > 0)
    return value - (1 << 64) if value >= 1 << 63 else value


@rowwise("simhash", params=[Param("text", "string"), Param("ngram", "int", literal=True, default=3,
                                                            doc="words per shingle")],
         returns="bigint", kind="dedup", modality="text",
         check=lambda ngram: bounded("simhash", "ngram", ngram, 1, 16),
         description="64-bit SimHash (Charikar) of the text's word n-grams, lower-cased: near-duplicate documents "
                     "differ in few bits (compare with hamming_distance; use ngram 1 for texts of a few sentences). "
                     "One BIGINT per document, cheaper to store and compare than a MinHash signature; NULL for "
                     "text without words.",
         example="SELECT a.id, b.id FROM demo.media.articles a JOIN demo.media.articles b ON a.id < b.id "
                 "WHERE hamming_distance(simhash(a.body, 1), simhash(b.body, 1)) <= 10")
def simhash(text, ngram):
    return simhash_of(text, ngram)
