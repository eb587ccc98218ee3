"""Image filters, transforms and detectors for building training sets.

Transforms return new image bytes (PNG unless a format is asked for); detectors use the models
that ship inside their packages (OpenCV's Haar cascades, NudeNet's ONNX detector, Tesseract's
orientation model) — nothing is fetched at run time.
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np

from .image import MAX_PIXELS, grey_array, open_image, tesseract
from .runtime import bounded, rowwise, task_threads
from .spec import FunctionError, Param

IMAGE = [Param("image", "binary")]
FORMATS = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG", "webp": "WEBP", "bmp": "BMP", "tiff": "TIFF", "gif": "GIF"}


def encode(img, fmt: str = "PNG", quality: int = 90) -> bytes:
    if fmt == "JPEG" and img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    elif img.mode not in ("RGB", "RGBA", "L", "LA", "P", "1"):
        img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
    out = io.BytesIO()
    img.save(out, format=fmt, **({"quality": quality} if fmt in ("JPEG", "WEBP") else {}))
    return out.getvalue()


def _format(fn: str, fmt: str) -> str:
    if str(fmt).lower() not in FORMATS:
        raise FunctionError(f"{fn}: format must be one of {', '.join(sorted(set(FORMATS) - {'jpg'}))}, got {fmt!r}")
    return FORMATS[str(fmt).lower()]


@rowwise("image_exif", params=IMAGE, returns="map<string,string>", kind="extract", modality="image",
         reads_media=True,
         description="The image's EXIF tags by name (Make, Model, DateTime, Orientation, GPSInfo, …) as strings; "
                     "an empty map when it has none.",
         example="SELECT name, image_exif(content) FROM demo.media.photos")
def image_exif(image):
    from PIL import ExifTags

    exif = open_image(image, "image_exif").getexif()
    tags = {ExifTags.TAGS.get(k, str(k)): v for k, v in exif.items()}
    if ExifTags.IFD.GPSInfo in exif:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        tags["GPSInfo"] = {ExifTags.GPSTAGS.get(k, str(k)): v for k, v in gps.items()}
    return [(str(k), str(v)) for k, v in tags.items()]


@rowwise("dominant_colors", params=IMAGE + [Param("k", "int", literal=True, default=5)],
         returns="array<struct<hex string, share double>>", kind="extract", modality="image", reads_media=True,
         check=lambda k: bounded("dominant_colors", "k", k, 1, 32),
         description="The k main colours (median-cut quantisation of a 128-pixel copy) as #rrggbb with the share "
                     "of pixels each covers, most common first.",
         example="SELECT name, dominant_colors(content, 3) FROM demo.media.photos")
def dominant_colors(image, k):
    from PIL import Image

    img = open_image(image, "dominant_colors").convert("RGB")
    img.thumbnail((128, 128))
    q = img.quantize(colors=k, method=Image.Quantize.MEDIANCUT)
    palette = q.getpalette()
    counts = sorted(q.getcolors(), reverse=True)
    total = sum(c for c, _ in counts)
    return [{"hex": "#{:02x}{:02x}{:02x}".format(*palette[3 * i:3 * i + 3]), "share": c / total} for c, i in counts]


@rowwise("colorfulness", params=IMAGE, returns="double", kind="filter", modality="image", reads_media=True,
         description="Hasler and Süsstrunk's colourfulness metric (0 for greyscale; above ~50 quite colourful, "
                     "above ~100 extremely).",
         example="SELECT name, colorfulness(content) FROM demo.media.photos")
def colorfulness(image):
    rgb = np.asarray(open_image(image, "colorfulness").convert("RGB"), dtype=np.float64)
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


@rowwise("image_entropy", params=IMAGE, returns="double", kind="filter", modality="image", reads_media=True,
         description="Shannon entropy of the grey-level histogram in bits (0–8): blank and flat images score "
                     "near 0, detailed photos 7+.",
         example="SELECT name FROM demo.media.photos WHERE image_entropy(content) > 4")
def image_entropy(image):
    return float(open_image(image, "image_entropy").convert("L").entropy())


@lru_cache(maxsize=1)
def _face_cascade():
    import cv2

    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    if cascade.empty():
        raise FunctionError("detect_faces: OpenCV's frontal-face cascade could not be loaded")
    return cascade


@rowwise("detect_faces", params=IMAGE + [Param("min_size", "int", literal=True, default=24,
                                                doc="smallest face side in pixels")],
         returns="array<struct<x int, y int, w int, h int>>", kind="filter", modality="image", reads_media=True,
         batch_size=32, model="OpenCV Haar cascade haarcascade_frontalface_default (bundled with opencv-python)",
         check=lambda min_size: bounded("detect_faces", "min_size", min_size, 8, 4096),
         description="Bounding boxes of frontal faces (OpenCV's Viola-Jones cascade); size() of it is the face "
                     "count, e.g. to drop images with people or keep portraits.",
         example="SELECT name, size(detect_faces(content)) AS faces FROM demo.media.photos")
def detect_faces(image, min_size):
    import cv2

    grey = np.asarray(open_image(image, "detect_faces").convert("L"))
    boxes = _face_cascade().detectMultiScale(cv2.equalizeHist(grey), scaleFactor=1.1, minNeighbors=5,
                                             minSize=(min_size, min_size))
    return [{"x": int(x), "y": int(y), "w": int(w), "h": int(h)} for x, y, w, h in boxes]


_NSFW = {"FEMALE_GENITALIA_EXPOSED", "MALE_GENITALIA_EXPOSED", "FEMALE_BREAST_EXPOSED", "ANUS_EXPOSED",
         "BUTTOCKS_EXPOSED"}


@lru_cache(maxsize=1)
def _nudenet():
    import os

    import nudenet
    import onnxruntime
    from nudenet import NudeDetector

    detector = NudeDetector()
    threads = task_threads()
    if threads:  # in a Spark worker: its task's cores, not every core in each worker (measured 0.85x)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        detector.onnx_session = onnxruntime.InferenceSession(
            os.path.join(os.path.dirname(nudenet.__file__), "320n.onnx"), sess_options=options,
            providers=["CPUExecutionProvider"])
    return detector


@rowwise("nsfw_score", params=IMAGE, returns="double", kind="filter", modality="image", reads_media=True,
         batch_size=16, model="NudeNet 320n detector (ONNX, bundled in the nudenet package)",
         description="Highest confidence (0–1) of an exposed-nudity detection by NudeNet's detector; 0 when "
                     "nothing is detected. Filter with nsfw_score(content) < 0.5.",
         example="SELECT name FROM demo.media.photos WHERE nsfw_score(content) < 0.5")
def nsfw_score(image):
    img = open_image(image, "nsfw_score").convert("RGB")
    bgr = np.ascontiguousarray(np.asarray(img)[:, :, ::-1])
    detections = _nudenet().detect(bgr)
    return max((float(d["score"]) for d in detections if d["class"] in _NSFW), default=0.0)


@rowwise("text_area_ratio", params=IMAGE, returns="double", kind="filter", modality="image", reads_media=True,
         batch_size=16, model="Tesseract 5 (Debian tesseract-ocr) word boxes",
         description="Share of the image's area covered by recognised words (Tesseract's word boxes with "
                     "confidence ≥ 30): screenshots, memes, slides and watermarked pictures score high.",
         example="SELECT name, text_area_ratio(content) FROM demo.media.scans")
def text_area_ratio(image):
    t = tesseract("eng", "text_area_ratio")
    img = open_image(image, "text_area_ratio")
    d = t.run(t.tess.image_to_data, img, output_type=t.tess.Output.DICT)
    mask = np.zeros((img.height, img.width), dtype=bool)
    for text, conf, x, y, w, h in zip(d["text"], d["conf"], d["left"], d["top"], d["width"], d["height"]):
        if str(text).strip() and float(conf) >= 30:
            mask[y:y + h, x:x + w] = True
    return float(mask.mean()) if mask.size else 0.0


@rowwise("image_orientation", params=IMAGE, returns="struct<rotate int, confidence double, script string>",
         kind="extract", modality="image", reads_media=True, batch_size=16,
         model="Tesseract orientation and script detection (osd.traineddata, Debian tesseract-ocr)",
         description="For a page of text: the clockwise rotation in degrees (0, 90, 180, 270) that makes it "
                     "upright, Tesseract's confidence, and the script (Latin, Cyrillic, Han, …). Rotate with "
                     "image_rotate(content, orientation.rotate) before ocr.",
         example="SELECT name, image_orientation(content) FROM demo.media.scans")
def image_orientation(image):
    t = tesseract("osd", "image_orientation")
    try:
        osd = t.tess.image_to_osd(t.image(image), output_type=t.tess.Output.DICT,
                                  config="--psm 0 -c min_characters_to_try=5")
    except t.tess.TesseractError as e:
        raise FunctionError(f"image_orientation: too little text to tell the orientation "
                            f"({e.message.strip() or e.status})") from None
    return {"rotate": int(osd["rotate"]), "confidence": float(osd["orientation_conf"]), "script": str(osd["script"])}


def _check_resize(width, height, fit, format):
    bounded("image_resize", "width", width, 1, 16384)
    bounded("image_resize", "height", height, 1, 16384)
    if width * height > MAX_PIXELS:
        raise FunctionError(f"image_resize: {width}x{height} is more than {MAX_PIXELS // 1_000_000} megapixels")
    if fit not in ("contain", "cover", "stretch"):
        raise FunctionError(f"image_resize: fit must be 'contain', 'cover' or 'stretch', got {fit!r}")
    _format("image_resize", format)


@rowwise("image_resize", params=IMAGE + [Param("width", "int", literal=True), Param("height", "int", literal=True),
                                         Param("fit", "string", literal=True, default="contain",
                                               doc="'contain', 'cover' or 'stretch'"),
                                         Param("format", "string", literal=True, default="png")],
         returns="binary", kind="clean", modality="image", reads_media=True, check=_check_resize,
         description="The image resized (Lanczos) to width×height: contain fits inside keeping the aspect ratio "
                     "(may be smaller on one side), cover fills the box and centre-crops, stretch ignores the "
                     "aspect ratio; encoded as format (png, jpeg, webp, …).",
         example="SELECT name, image_resize(content, 224, 224, fit => 'cover') FROM demo.media.photos")
def image_resize(image, width, height, fit, format):
    from PIL import Image, ImageOps

    img = open_image(image, "image_resize")
    if fit == "contain":
        out = ImageOps.contain(img, (width, height), Image.Resampling.LANCZOS)
    elif fit == "cover":
        out = ImageOps.fit(img, (width, height), Image.Resampling.LANCZOS)
    else:
        out = img.resize((width, height), Image.Resampling.LANCZOS)
    return encode(out, _format("image_resize", format))


@rowwise("image_convert", params=IMAGE + [Param("format", "string", literal=True),
                                          Param("quality", "int", literal=True, default=90, doc="JPEG/WebP quality")],
         returns="binary", kind="clean", modality="image", reads_media=True,
         check=lambda format, quality: (_format("image_convert", format),
                                        bounded("image_convert", "quality", quality, 1, 100)),
         description="The image re-encoded as format (png, jpeg, webp, bmp, tiff, gif); transparency is dropped "
                     "for JPEG, the EXIF orientation applied.",
         example="SELECT name, image_convert(content, 'jpeg', 80) FROM demo.media.scans")
def image_convert(image, format, quality):
    from PIL import ImageOps

    img = ImageOps.exif_transpose(open_image(image, "image_convert"))
    return encode(img, _format("image_convert", format), quality)


@rowwise("image_crop", params=IMAGE + [Param("x", "int"), Param("y", "int"), Param("w", "int"), Param("h", "int")],
         returns="binary", kind="clean", modality="image", reads_media=True,
         description="The w×h region at (x, y) from the top-left corner as PNG, clipped to the image (the box may "
                     "come from a column, e.g. a detect_faces box); fails when nothing of it is inside the image.",
         example="SELECT name, image_crop(content, f.x, f.y, f.w, f.h) FROM demo.media.photos "
                 "LATERAL VIEW explode(detect_faces(content)) AS f")
def image_crop(image, x, y, w, h):
    img = open_image(image, "image_crop")
    left, top, right, bottom = max(0, x), max(0, y), min(img.width, x + w), min(img.height, y + h)
    if w <= 0 or h <= 0 or right <= left or bottom <= top:
        raise FunctionError(f"image_crop: the box ({x}, {y}, {w}x{h}) lies outside the {img.width}x{img.height} image")
    return encode(img.crop((left, top, right, bottom)))


@rowwise("image_rotate", params=IMAGE + [Param("degrees", "int")], returns="binary", kind="clean",
         modality="image", reads_media=True,
         description="The image rotated clockwise by degrees (a column or constant; 90, 180, 270 are lossless "
                     "transposes, other angles expand the canvas), as PNG.",
         example="SELECT name, ocr(image_rotate(content, image_orientation(content).rotate)) FROM demo.media.scans")
def image_rotate(image, degrees):
    from PIL import Image

    img = open_image(image, "image_rotate")
    d = degrees % 360
    transposes = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
    if d == 0:
        return encode(img)
    if d in transposes:
        return encode(img.transpose(transposes[d]))
    return encode(img.rotate(-d, expand=True, resample=Image.Resampling.BICUBIC))


@rowwise("image_grayscale", params=IMAGE, returns="binary", kind="clean", modality="image", reads_media=True,
         description="A greyscale PNG copy of the image (ITU-R 601 luma).",
         example="SELECT name, image_grayscale(content) FROM demo.media.photos")
def image_grayscale(image):
    return encode(open_image(image, "image_grayscale").convert("L"))


def _hash_bits(bits: np.ndarray) -> int:
    value = 0
    for bit in bits.reshape(-1):
        value = (value << 1) | int(bit)
    return value - (1 << 64) if value >= 1 << 63 else value  # as a signed BIGINT


@rowwise("dhash", params=IMAGE, returns="bigint", kind="dedup", modality="image", reads_media=True,
         description="64-bit difference hash: whether each pixel of a 9×8 greyscale copy is darker than its "
                     "right neighbour. Cheaper than phash and robust to scaling and brightness; compare with "
                     "hamming_distance.",
         example="SELECT a.name, b.name FROM demo.media.photos a JOIN demo.media.photos b ON a.name < b.name "
                 "WHERE hamming_distance(dhash(a.content), dhash(b.content)) <= 8")
def dhash(image):
    from PIL import Image

    g = np.asarray(open_image(image, "dhash").convert("L").resize((9, 8), Image.Resampling.LANCZOS), dtype=np.int16)
    return _hash_bits(g[:, 1:] > g[:, :-1])


@rowwise("ahash", params=IMAGE, returns="bigint", kind="dedup", modality="image", reads_media=True,
         description="64-bit average hash: whether each pixel of an 8×8 greyscale copy is brighter than the mean. "
                     "The simplest perceptual hash (exact resized copies); compare with hamming_distance.",
         example="SELECT name, ahash(content) FROM demo.media.photos")
def ahash(image):
    from PIL import Image

    g = grey_array(open_image(image, "ahash").resize((8, 8), Image.Resampling.LANCZOS))
    return _hash_bits(g > g.mean())
