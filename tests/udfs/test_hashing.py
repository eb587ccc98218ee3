"""Dedup signatures: exact hashes, MinHash estimates of Jaccard, perceptual hashes."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pyarrow as pa
import pytest

from lakelens.udfs import FunctionError, evaluate
from lakelens.udfs.hashing import (SET_NGRAMS_MAX_BYTES, minhash_band_keys, minhash_signatures, ngram_jaccard,
                                     shingle_hashes)

from ..media import picture, text_image, variant


def call(name, *arrays, on_error="raise", **options):
    return evaluate(name, options, on_error, *arrays).to_pylist()


def test_content_hash_is_sha256_of_bytes_and_utf8_text():
    out = call("content_hash", pa.array([b"abc", b"", None]))
    assert out == [hashlib.sha256(b"abc").hexdigest(), hashlib.sha256(b"").hexdigest(), None]
    assert call("content_hash", pa.array(["é"])) == [hashlib.sha256("é".encode()).hexdigest()]


def _words(rng, n):
    vocab = [f"w{i}" for i in range(400)]
    return " ".join(rng.choice(vocab) for _ in range(n))


def _exact_jaccard(a: str, b: str, ngram: int = 5) -> float:
    sa, sb = set(shingle_hashes(a, ngram).tolist()), set(shingle_hashes(b, ngram).tolist())
    return len(sa & sb) / len(sa | sb)


def test_minhash_estimates_jaccard_within_sampling_error():
    rng = random.Random(3)
    pairs = []
    for keep in (1.0, 0.9, 0.7, 0.4, 0.0):
        base = _words(rng, 120).split()
        edited = [w if rng.random() < keep else _words(rng, 1) for w in base]
        pairs.append((" ".join(base), " ".join(edited)))
    a = pa.array([p[0] for p in pairs])
    b = pa.array([p[1] for p in pairs])
    sig_a = evaluate("minhash", {"num_perm": 256}, "raise", a)
    sig_b = evaluate("minhash", {"num_perm": 256}, "raise", b)
    assert sig_a.type == pa.list_(pa.int32()) and len(sig_a[0]) == 256
    estimates = call("jaccard", sig_a, sig_b)
    for (x, y), est in zip(pairs, estimates):
        assert est == pytest.approx(_exact_jaccard(x, y), abs=0.1)  # 3σ for 256 permutations is ~0.09
    assert estimates[0] == 1.0


def test_minhash_of_a_batch_equals_minhash_of_each_text_alone():
    # The batch hashes every text's n-grams together, in slices that cut texts apart: no text
    # may see another's n-grams, whatever its length (empty, shorter than an n-gram, multi-byte).
    rng = random.Random(5)
    texts = ["", "  ", "ab", "Hello   World", "ünïcödé tëxt", "abcde", _words(rng, 300)] + \
        [_words(rng, rng.randrange(0, 40)) for _ in range(60)]
    batch = minhash_signatures(texts, 32, 5, slice_size=97)
    alone = np.stack([minhash_signatures([t], 32, 5)[0] for t in texts])
    assert (batch == alone).all()
    assert (batch[0] == -1).all() and (batch[1] == -1).all()  # no n-grams: the "empty" signature
    assert (batch[2] != -1).all()  # shorter than an n-gram: the whole text is one
    keys = minhash_band_keys(batch, 5, 6)  # 5 bands of 6: the last 2 permutations are unused
    assert keys.shape == (len(texts), 5) and keys.dtype == np.int64
    assert (keys[3] == minhash_band_keys(minhash_signatures(["hello world"], 32, 5), 5, 6)[0]).all()


def test_ngram_jaccard_is_exact_for_short_and_long_texts():
    assert ngram_jaccard([("abcdef", "abcdeg"), ("Same  text", "same text"), ("", "")], 5) == [1 / 3, 1.0, 0.0]
    rng = random.Random(9)
    long_a = _words(rng, 5000)  # past SET_NGRAMS_MAX_BYTES: compared as hash arrays
    assert len(long_a) > SET_NGRAMS_MAX_BYTES
    words = long_a.split()
    long_b = " ".join(words[:4000] + _words(rng, 1000).split())
    short = " ".join(words[:50])
    got = ngram_jaccard([(long_a, long_b), (long_a, short), (short, long_a)], 5)
    assert got == pytest.approx([_exact_jaccard(long_a, long_b), _exact_jaccard(long_a, short),
                                 _exact_jaccard(short, long_a)], abs=1e-12)
    assert 0.6 < got[0] < 0.99 and got[1] == got[2] < 0.2


def test_minhash_is_deterministic_across_calls_and_ignores_case_and_spacing():
    one = call("minhash", pa.array(["Hello   World"]))
    two = call("minhash", pa.array(["hello world"]))
    assert one == two and len(one[0]) == 64


def test_minhash_options_are_validated():
    with pytest.raises(FunctionError, match="minhash: num_perm must be between 1 and 1024"):
        evaluate("minhash", {"num_perm": 0}, "raise", pa.array(["x"]))


def test_jaccard_with_null_signatures_is_null():
    sig = call("minhash", pa.array(["some text here"]))
    out = call("jaccard", pa.array([sig[0], sig[0]], pa.list_(pa.int32())), pa.array([None, None], pa.list_(pa.int32())))
    assert out == [None, None]


def test_jaccard_rejects_signatures_of_different_lengths():
    with pytest.raises(FunctionError, match="jaccard: signatures must have the same length"):
        call("jaccard", pa.array([[1, 2, 3]]), pa.array([[1, 2]]))


def test_phash_is_stable_under_resize_and_recompression_and_separates_pictures():
    originals = [picture(seed) for seed in range(12)]
    copies = [variant(p, scale=0.5, quality=60) for p in originals]
    ha = np.array(call("phash", pa.array(originals)), dtype=np.int64)
    hb = np.array(call("phash", pa.array(copies)), dtype=np.int64)
    same = call("hamming_distance", pa.array(ha), pa.array(hb))
    assert max(same) <= 6, same
    others = call("hamming_distance", pa.array(ha[:-1]), pa.array(ha[1:]))
    assert min(others) > 12, others


def test_hamming_distance_counts_bits_with_nulls():
    out = call("hamming_distance", pa.array([0, -1, 5, None], pa.int64()), pa.array([1, 0, 5, 3], pa.int64()))
    assert out == [1, 64, 0, None]


def test_phash_of_bad_input_names_the_function_and_try_gives_null():
    good = text_image("HELLO")
    with pytest.raises(FunctionError, match=r"phash: input is not a decodable image \(5 bytes\)"):
        call("phash", pa.array([b"hello"]))
    out = call("phash", pa.array([b"hello", good, None]), on_error="null")
    assert out[0] is None and isinstance(out[1], int) and out[2] is None
