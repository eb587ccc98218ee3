"""Image functions: decode, describe, thumbnail, quality scores, OCR (Tesseract)."""

from __future__ import annotations

import io
import shutil

import numpy as np
import pyarrow as pa

from .runtime import map_rows, return_arrow_type
from .spec import FUNCTIONS, FunctionError, Param, function

MAX_PIXELS = 100_000_000  # a decompression bomb fails the row instead of the worker


def open_image(data: bytes, fn: str):
    """Decode image bytes fully (so truncated files fail here, not later)."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise FunctionError(f"{fn}: input is empty (0 bytes), not an image")
    try:
        img = Image.open(io.BytesIO(data))
        if img.width * img.height > MAX_PIXELS:
            raise FunctionError(f"{fn}: image is too large ({img.width}x{img.height} pixels, limit {MAX_PIXELS})")
        img.load()
        return img
    except FunctionError:
        raise
    except UnidentifiedImageError:
        raise FunctionError(f"{fn}: input is not a decodable image ({len(data)} bytes)") from None
    except Exception as e:  # truncated or damaged files raise OSError, SyntaxError, ValueError, …
        raise FunctionError(f"{fn}: image could not be decoded ({len(data)} bytes): {e}") from None


@function("image_info", params=[Param("image", "binary")],
          returns="struct<format string, width int, height int, mode string>", kind="extract", modality="image",
          reads_media=True, batch_size=256,
          description="Format (PNG, JPEG, …), size in pixels and colour mode (RGB, L, RGBA, …) of an image.",
          example="SELECT name, image_info(content).width FROM demo.media.scans")
class ImageInfo:
    def __call__(self, images: pa.Array) -> pa.Array:
        def one(data):
            img = open_image(data, "image_info")
            return {"format": img.format, "width": img.width, "height": img.height, "mode": img.mode}

        return map_rows(images, one, return_arrow_type(FUNCTIONS["image_info"]))


@function("thumbnail", params=[Param("image", "binary"), Param("px", "int", literal=True, default=128,
                                                                 doc="longest side in pixels")],
          returns="binary", kind="extract", modality="image", reads_media=True,
          description="A PNG copy of the image scaled to fit in px×px, aspect ratio kept (never enlarged).",
          example="SELECT name, thumbnail(content, 64) FROM demo.media.scans")
class Thumbnail:
    def __init__(self, px: int = 128):
        if not 1 <= int(px) <= 8192:
            raise FunctionError(f"thumbnail: px must be between 1 and 8192, got {px}")
        self.px = int(px)

    def __call__(self, images: pa.Array) -> pa.Array:
        def one(data):
            img = open_image(data, "thumbnail")
            if img.mode not in ("RGB", "RGBA", "L", "LA"):
                img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
            img.thumbnail((self.px, self.px))
            out = io.BytesIO()
            img.save(out, format="PNG")
            return out.getvalue()

        return map_rows(images, one, pa.binary())


def grey_array(img) -> np.ndarray:
    return np.asarray(img.convert("L"), dtype=np.float64) / 255.0


@function("image_quality", params=[Param("image", "binary")],
          returns="struct<sharpness double, brightness double, contrast double>", kind="filter", modality="image",
          reads_media=True,
          description="Filter scores: sharpness = variance of the Laplacian of the grey image (blurry images "
                      "score low), brightness = mean grey level in [0, 1], contrast = its standard deviation.",
          example="SELECT name FROM demo.media.scans WHERE image_quality(content).sharpness > 0.01")
class ImageQuality:
    def __call__(self, images: pa.Array) -> pa.Array:
        def one(data):
            g = grey_array(open_image(data, "image_quality"))
            if g.shape[0] >= 3 and g.shape[1] >= 3:
                lap = (g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:] - 4 * g[1:-1, 1:-1])
                sharpness = float(lap.var())
            else:
                sharpness = 0.0
            return {"sharpness": sharpness, "brightness": float(g.mean()), "contrast": float(g.std())}

        return map_rows(images, one, return_arrow_type(FUNCTIONS["image_quality"]))


class _Tesseract:
    def __init__(self, lang: str, fn: str):
        import pytesseract

        if shutil.which("tesseract") is None:
            raise FunctionError(f"{fn}: the tesseract program is not installed "
                                "(Debian: apt-get install tesseract-ocr tesseract-ocr-eng)")
        installed = set(pytesseract.get_languages(config=""))
        missing = [part for part in str(lang).split("+") if part not in installed]
        if missing:
            raise FunctionError(f"{fn}: Tesseract language {'+'.join(missing)!r} is not installed "
                                f"(installed: {', '.join(sorted(installed - {'osd'}))}; Debian: apt-get install "
                                f"tesseract-ocr-{missing[0]})")
        self.lang, self.fn, self.tess = str(lang), fn, pytesseract

    def image(self, data: bytes):
        img = open_image(data, self.fn)
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        return img

    def run(self, method, data, **kwargs):
        """Call a pytesseract function on image bytes or a decoded image; Tesseract's own
        failures name the function too."""
        img = self.image(data) if isinstance(data, bytes) else data
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        try:
            return method(img, lang=self.lang, **kwargs)
        except self.tess.TesseractError as e:
            raise FunctionError(f"{self.fn}: Tesseract failed on the image ({img.width}x{img.height}): "
                                f"{e.message.strip() or e.status}") from None


@function("ocr", params=[Param("image", "binary"),
                         Param("lang", "string", literal=True, default="eng",
                               doc="Tesseract language(s), e.g. 'deu' or 'eng+deu'"),
                         Param("engine", "string", literal=True, default="tesseract",
                               doc="'tesseract' or 'rapidocr' (PP-OCRv4: Chinese and English; lang is not used)")],
          returns="string", kind="extract", modality="image", reads_media=True, batch_size=16,
          model="Tesseract 5 LSTM (Debian tesseract-ocr, tesseract-ocr-<lang>); engine => 'rapidocr': PP-OCRv4 "
                "detection, angle classifier and recognition (ONNX models bundled in rapidocr-onnxruntime)",
          description="Text in an image (printed text; lines separated by newlines; text skewed by up to ±20° "
                      "is levelled first, by projection profiles), via Tesseract, or via PP-OCR (engine => "
                      "'rapidocr': Chinese and English whatever lang says, rotated lines; it may "
                      "drop the spaces between Latin words).",
          example="SELECT name, ocr(content), ocr(content, engine => 'rapidocr') FROM demo.media.scans")
class Ocr:
    def __init__(self, lang: str = "eng", engine: str = "tesseract"):
        if engine not in ("tesseract", "rapidocr"):
            raise FunctionError(f"ocr: engine must be 'tesseract' or 'rapidocr', got {engine!r}")
        self.engine = engine
        if engine == "rapidocr":
            from rapidocr_onnxruntime import RapidOCR

            self.rapid = RapidOCR()
        else:
            self.tesseract = _Tesseract(lang, "ocr")

    def __call__(self, images: pa.Array) -> pa.Array:
        if self.engine == "rapidocr":
            def rapid(data):
                img = deskew(open_image(data, "ocr")).convert("RGB")
                result, _ = self.rapid(np.asarray(img)[:, :, ::-1])  # BGR, as OpenCV reads
                return "\n".join(text for _, text, _ in (result or [])).strip()

            return map_rows(images, rapid, pa.string())
        t = self.tesseract
        return map_rows(images, lambda data: t.run(t.tess.image_to_string, deskew(t.image(data))).strip(),
                        pa.string())


@function("ocr_words", params=[Param("image", "binary"),
                               Param("lang", "string", literal=True, default="eng")],
          returns="array<struct<text string, conf double, x int, y int, w int, h int>>", kind="extract",
          modality="image", reads_media=True, batch_size=16,
          model="Tesseract 5 LSTM (Debian tesseract-ocr, tesseract-ocr-<lang>)",
          description="Each recognised word with its confidence (0–100) and bounding box in pixels.",
          example="SELECT w.text, w.conf FROM demo.media.scans LATERAL VIEW explode(ocr_words(content)) AS w")
class OcrWords:
    def __init__(self, lang: str = "eng"):
        self.tesseract = _Tesseract(lang, "ocr_words")

    def __call__(self, images: pa.Array) -> pa.Array:
        t = self.tesseract

        def one(data):
            d = t.run(t.tess.image_to_data, data, output_type=t.tess.Output.DICT)
            return [{"text": text, "conf": float(conf), "x": int(x), "y": int(y), "w": int(w), "h": int(h)}
                    for text, conf, x, y, w, h in zip(d["text"], d["conf"], d["left"], d["top"], d["width"],
                                                      d["height"])
                    if str(text).strip() and float(conf) >= 0]

        return map_rows(images, one, return_arrow_type(FUNCTIONS["ocr_words"]))


_TESSERACTS: dict[tuple[str, str], _Tesseract] = {}


def tesseract(lang: str, fn: str) -> _Tesseract:
    """Tesseract for `fn`, checked once per process (installed, language present)."""
    t = _TESSERACTS.get((lang, fn))
    if t is None:
        t = _TESSERACTS[(lang, fn)] = _Tesseract(lang, fn)
    return t


def skew_angle(img, max_degrees: float = 25.0) -> float:
    """The angle (degrees, counter-clockwise) of an image's text lines, by projection profiles:
    the ink pixels (the minority side of Otsu's threshold, on a copy at most 800 px wide) are
    projected onto the normal of each candidate angle, and the angle whose row histogram is
    most peaked (sum of squares) wins — 1° steps over ±max_degrees, then 0.1° around the best.
    0 unless that angle stands out the way text lines do: a profile at least 1.3× as peaked
    as at 0° and twice the median over all angles, not at the edge of the range (photos and
    drawings peak weakly somewhere; measured on skimage's sample photos: best/median 1.1–1.2,
    rendered text lines 4–5)."""
    scale = 800 / max(img.width, img.height, 1)
    small = img if scale >= 1 else img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))))
    a = np.asarray(small.convert("L"), dtype=np.uint8)
    hist = np.bincount(a.ravel(), minlength=256).astype(np.float64)
    w0, m0 = np.cumsum(hist), np.cumsum(hist * np.arange(256))
    total, level_sum = w0[-1], m0[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (level_sum * w0 / total - m0) ** 2 / (w0 * (total - w0))
    threshold = int(np.nanargmax(between)) if np.isfinite(between).any() else 127
    dark = a <= threshold
    ink = dark if dark.mean() < 0.5 else ~dark
    ys, xs = np.nonzero(ink)
    if len(ys) < 50:
        return 0.0
    if len(ys) > 200_000:
        keep = np.random.default_rng(0).choice(len(ys), 200_000, replace=False)
        ys, xs = ys[keep], xs[keep]
    ys, xs = ys - ys.mean(), xs - xs.mean()

    def score(deg: float) -> float:
        r = np.deg2rad(deg)
        rows = np.round(ys * np.cos(r) + xs * np.sin(r)).astype(np.int64)
        return float((np.bincount(rows - rows.min()).astype(np.float64) ** 2).sum())

    coarse = {float(d): score(d) for d in np.arange(-max_degrees, max_degrees + 0.5, 1.0)}
    best = max(coarse, key=coarse.get)
    if abs(best) >= max_degrees or coarse[best] < 2 * float(np.median(list(coarse.values()))):
        return 0.0
    fine = max(np.arange(best - 1.0, best + 1.01, 0.1), key=score)
    fine = float(round(min(max_degrees, max(-max_degrees, fine)), 1))
    return fine if abs(fine) >= 0.5 and score(fine) >= 1.3 * score(0.0) else 0.0


def deskew(img):
    """The image turned so its text lines are level (skew_angle), the new corners filled with
    its median colour; the image itself when it is level already, or when turning it would
    take it past MAX_PIXELS."""
    from PIL import Image

    angle = skew_angle(img)
    if not angle:
        return img
    r = np.deg2rad(abs(angle))
    if (img.width * np.cos(r) + img.height * np.sin(r)) * (img.width * np.sin(r) + img.height * np.cos(r)) > MAX_PIXELS:
        return img
    turned = img if img.mode in ("RGB", "L") else img.convert("RGB")
    small = turned.copy() if max(turned.size) <= 256 else turned.resize((64, 64))
    pixels = np.asarray(small).reshape(-1, 3 if turned.mode == "RGB" else 1)
    fill = tuple(int(v) for v in np.median(pixels, axis=0))
    return turned.rotate(-angle, expand=True, fillcolor=fill if turned.mode == "RGB" else fill[0],
                         resample=Image.Resampling.BICUBIC)


def ocr_image(img, lang: str, fn: str) -> str:
    """Tesseract's text of a decoded PIL image, deskewed (other functions' OCR step: PDF pages, frames)."""
    t = tesseract(lang, fn)
    return t.run(t.tess.image_to_string, deskew(img)).strip()
