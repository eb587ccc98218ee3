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


def _normalised(texts) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of the texts (lower-cased, whitespace collapsed) end to end, and each
    text's length in bytes (0 for NULL)."""
    encoded = [b"" if t is None else " ".join(t.lower().split()).encode("utf-8") for t in texts]
    lengths = np.fromiter((len(e) for e in encoded), dtype=np.int64, count=len(encoded))
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), lengths


def _window_hashes(data: np.ndarray, k: int) -> np.ndarray:
    """A 64-bit hash of every k-byte window of `data` (FNV-style, vectorised over windows)."""
    n = len(data) - k + 1
    wide = data.astype(np.uint64)
    h = np.full(n, np.uint64(1469598103934665603))
    prime = np.uint64(1099511628211)
    with np.errstate(over="ignore"):
        for j in range(k):
            h ^= wide[j:j + n]
            h *= prime
        h ^= h >> np.uint64(29)
    return h


def batch_shingles(texts, ngram: int) -> tuple[np.ndarray, np.ndarray]:
    """The n-gram hashes of many texts at once: (hashes, counts), the hashes of text i being the
    counts[i] entries after those of texts 0…i−1 (repeats included). An n-gram is `ngram` bytes of
    the text's UTF-8 (lower-cased, whitespace collapsed): character n-grams for ASCII text,
    slightly shorter ones for other scripts; a text shorter than that is one n-gram."""
    data, lengths = _normalised(texts)
    counts = np.where(lengths >= ngram, lengths - ngram + 1, np.minimum(lengths, 1))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    hashes = np.zeros(0, dtype=np.uint64)
    if len(data) >= ngram:  # every window of the whole buffer, then those inside one text
        n = len(data) - ngram + 1
        relative = np.arange(n) - np.repeat(starts, lengths)[:n]
        hashes = _window_hashes(data, ngram)[relative <= np.repeat(lengths - ngram, lengths)[:n]]
    short = np.flatnonzero((lengths > 0) & (lengths < ngram))
    if len(short):  # texts shorter than an n-gram: the whole text is their one n-gram
        whole = {i: _window_hashes(data[starts[i]:starts[i] + lengths[i]], int(lengths[i]))[0] for i in short}
        positions = np.concatenate([[0], np.cumsum(counts)[:-1]])[short]
        hashes = np.insert(hashes, positions - np.arange(len(short)), [whole[i] for i in short])
    return hashes, counts


def shingle_hashes(text: str, ngram: int) -> np.ndarray:
    """The distinct n-gram hashes of one text (see batch_shingles)."""
    return np.unique(batch_shingles([text], ngram)[0])


# A text of up to this many bytes is compared as a set of its n-grams (fast); a longer one as a
# sorted array of their 64-bit hashes (8 bytes an n-gram instead of ~70 in a set).
SET_NGRAMS_MAX_BYTES = 16384


def _ngrams(text: str, ngram: int):
    data = " ".join(text.lower().split()).encode("utf-8")
    if len(data) > SET_NGRAMS_MAX_BYTES:
        return shingle_hashes(text, ngram)
    if len(data) < ngram:
        return {data} if data else set()
    return {data[i:i + ngram] for i in range(len(data) - ngram + 1)}


def ngram_jaccard(pairs, ngram: int, cache_ngrams: int = 1_000_000) -> list[float]:
    """Exact Jaccard similarity of each pair of texts' n-gram sets (the n-grams of batch_shingles):
    what a MinHash signature estimates. A text in several pairs of a batch is cut into n-grams
    once, keeping up to `cache_ngrams` n-grams at a time."""
    cache: dict[str, object] = {}
    held = 0
    out = []
    for a, b in pairs:
        grams = []
        for text in (a, b):
            g = cache.get(text)
            if g is None:
                g = _ngrams(text, ngram)
                if held + len(g) > cache_ngrams:
                    cache.clear()
                    held = 0
                cache[text] = g
                held += len(g)
            grams.append(g)
        ga, gb = grams
        if isinstance(ga, set) and isinstance(gb, set):
            common, union = len(ga & gb), len(ga | gb)
        else:  # a long text: sorted hash arrays (a short one's set is hashed the same way)
            ha = ga if isinstance(ga, np.ndarray) else shingle_hashes(a, ngram)
            hb = gb if isinstance(gb, np.ndarray) else shingle_hashes(b, ngram)
            common = len(np.intersect1d(ha, hb, assume_unique=True))
            union = len(ha) + len(hb) - common
        out.append(common / union if union else 0.0)
    return out


def minhash_signatures(texts, num_perm: int, ngram: int, perms=None, slice_size: int = 16384) -> np.ndarray:
    """One MinHash signature per text (rows of int32; all −1 for a text without n-grams), computed
    over all the texts' n-grams together in cache-sized slices: no Python work per text beyond
    normalising it."""
    a, b = perms or _permutations(num_perm)
    hashes, counts = batch_shingles(texts, ngram)
    sig = np.full((num_perm, len(counts)), np.iinfo(np.int64).max, dtype=np.int64)
    doc = np.repeat(np.arange(len(counts)), counts)
    first = np.concatenate([[True], doc[1:] != doc[:-1]]) if len(doc) else np.zeros(0, bool)
    buf = np.empty((num_perm, max(1, min(slice_size, len(hashes)))), dtype=np.uint64)  # permutations × n-grams: reduceat runs along rows
    with np.errstate(over="ignore"):
        for lo in range(0, len(hashes), slice_size):
            hi = min(lo + slice_size, len(hashes))
            out = buf[:, :hi - lo]
            # Multiply-shift hashing: the high bits of a*x + b (mod 2^64) form a universal family;
            # keeping 31 of them makes every signature value a non-negative INT.
            np.multiply(a[:, None], hashes[None, lo:hi], out=out)
            out += b[:, None]
            out >>= np.uint64(33)
            segments = np.flatnonzero(first[lo:hi])
            if len(segments) == 0 or segments[0] != 0:  # a text continued from the previous slice
                segments = np.concatenate([[0], segments])
            docs = doc[lo:hi][segments]
            sig[:, docs] = np.minimum(sig[:, docs], np.minimum.reduceat(out, segments, axis=1))
    sig[:, counts == 0] = -1
    return np.ascontiguousarray(sig.T).astype(np.int32)


def minhash_band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """LSH band keys of MinHash signatures (one row each): band i < `bands` of a signature is its
    values i·rows … (i+1)·rows − 1, hashed with i into one int64, so two signatures share a key
    exactly when they agree on a whole band (up to 64-bit collisions)."""
    keys = np.empty((len(signatures), bands), dtype=np.uint64)
    prime = np.uint64(1099511628211)
    with np.errstate(over="ignore"):
        for i in range(bands):
            h = np.full(len(signatures), np.uint64(1469598103934665603) ^ np.uint64(i * 0x9E3779B97F4A7C15 % 2**64))
            for j in range(i * rows, (i + 1) * rows):
                h ^= signatures[:, j].astype(np.uint64)
                h *= prime
            h ^= h >> np.uint64(31)
            keys[:, i] = h
    return keys.view(np.int64)


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

    def signatures(self, texts: pa.Array) -> tuple[np.ndarray, list[bool]]:
        """The signatures of the non-NULL texts (rows), and which texts were not NULL."""
        values = texts.to_pylist()
        valid = [t is not None for t in values]
        return minhash_signatures([t for t in values if t is not None], self.num_perm, self.ngram, self.perms), valid

    def __call__(self, texts: pa.Array) -> pa.Array:
        sigs, valid = self.signatures(texts)
        return fixed_lists(sigs, valid, pa.int32())


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
