"""Embeddings with real models: MiniLM from its offline package, CLIP from a checkpoint the test makes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from lakelens.udfs import FunctionError, evaluate

from ..media import picture, variant

def vectors(name, values, **options):
    out = evaluate(name, options, "raise", pa.array(values))
    assert out.type == pa.list_(pa.float32())
    return out.to_pylist()


def cos(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_embed_text_is_normalised_minilm_and_captures_meaning():
    cat, kitten, sheet, nothing = vectors("embed_text", ["a cat sleeps on the sofa", "a kitten naps on the couch",
                                                         "quarterly spreadsheet of tax figures", None])
    assert len(cat) == 384 and nothing is None
    assert np.linalg.norm(cat) == pytest.approx(1.0, abs=1e-5)
    assert cos(cat, kitten) > 0.6 > cos(cat, sheet) + 0.3


def test_embed_text_batches_give_the_same_vectors_as_single_rows():
    texts = [f"sentence number {i} about lakes" for i in range(70)]  # more than one model batch
    batch = np.array(vectors("embed_text", texts))
    one = np.array(vectors("embed_text", texts[37:38]))
    assert np.allclose(batch[37], one[0], atol=1e-5)


def test_clip_image_and_text_towers_share_a_space(tiny_clip):
    images = [picture(1), variant(picture(1)), picture(2), None]
    img = vectors("embed_image", images, **tiny_clip)
    assert len(img[0]) == 32 and img[3] is None
    assert np.linalg.norm(img[0]) == pytest.approx(1.0, abs=1e-5)
    assert cos(img[0], img[1]) > cos(img[0], img[2])  # a resized copy is closer than another picture
    txt = vectors("embed_clip_text", ["a red square", "a blue circle"], **tiny_clip)
    assert len(txt[0]) == 32
    sims = evaluate("cosine_similarity", {}, "raise", pa.array([img[0], img[0]]), pa.array(txt)).to_pylist()
    assert all(-1.0 <= s <= 1.0 for s in sims)


def test_clip_without_weights_says_how_to_configure_them():
    with pytest.raises(FunctionError, match=r"embed_image: no CLIP weights are configured: set udf.clip.weights"):
        vectors("embed_image", [picture(1)])
    with pytest.raises(FunctionError, match=r"embed_clip_text: CLIP weights file /nope/x.pt does not exist"):
        vectors("embed_clip_text", ["x"], weights="/nope/x.pt")


def test_cosine_similarity():
    out = evaluate("cosine_similarity", {}, "raise", pa.array([[1.0, 0.0], [1.0, 1.0], None, [0.0, 0.0]]),
                   pa.array([[2.0, 0.0], [-1.0, -1.0], [1.0, 2.0], [1.0, 0.0]])).to_pylist()
    assert out[0] == pytest.approx(1.0) and out[1] == pytest.approx(-1.0) and out[2] is None and out[3] is None
    with pytest.raises(FunctionError, match="cosine_similarity: vectors must have the same length"):
        evaluate("cosine_similarity", {}, "raise", pa.array([[1.0, 0.0]]), pa.array([[1.0, 0.0, 0.0]]))
