"""Document, image, audio and video operators on real generated media (rendered text, espeak-ng speech,
PyAV videos, python-docx/pptx/openpyxl files, image-only PDFs) and one real photograph."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pytest
from PIL import Image

from lakelens.engine.cli.demo import OFFICE, write_clip, write_office
from lakelens.udfs import FUNCTIONS, FunctionError, evaluate

from ..media import bad_inputs, edit_distance, picture, speak_wav, text_image, tone_wav, variant, wer, write_text_pdf


def call(name, *values, on_error="raise", **options):
    return evaluate(name, options, on_error, *[pa.array(v) for v in values]).to_pylist()


def one(name, value, **options):
    return call(name, [value], **options)[0]


def info(data: bytes) -> dict:
    return one("image_info", data)


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> dict[str, bytes]:
    tmp = tmp_path_factory.mktemp("docs")
    for name, text in OFFICE.items():
        write_office(name, text, tmp / name)
    write_text_pdf("Quarterly report: revenue grew by ten percent.", tmp / "report.pdf")
    return {p.name: p.read_bytes() for p in tmp.iterdir()}


def test_office_web_and_ebook_text(docs):
    assert one("docx_text", docs["letter.docx"]) == \
        f"Status\n{OFFICE['letter.docx']}\nphase\tstate\nmigration\tdone"
    assert one("pptx_text", docs["deck.pptx"]) == f"Planning 2027\f{OFFICE['deck.pptx']}"
    assert one("xlsx_text", docs["budget.xlsx"]) == "# Budget 2027\nitem\tcost\nstorage\t1200\ncompute\t3400"
    page = one("html_text", docs["article.html"])
    assert OFFICE["article.html"] in page and "Sport" not in page and "All rights reserved" not in page
    assert one("html_text", "<p>Just <b>one</b> line</p>") == "Just one line"
    assert one("epub_text", docs["story.epub"]) == f"Chapter 1\n\n{OFFICE['story.epub']}"


def test_mime_type_sniffs_content_not_names(docs):
    types = {name: one("mime_type", data) for name, data in docs.items()}
    assert types["letter.docx"].endswith("wordprocessingml.document")
    assert types["deck.pptx"].endswith("presentationml.presentation")
    assert types["budget.xlsx"].endswith("spreadsheetml.sheet")
    assert (types["story.epub"], types["article.html"], types["scanned.pdf"]) == \
        ("application/epub+zip", "text/html", "application/pdf")
    assert one("mime_type", picture(1)) == "image/png" and one("mime_type", variant(picture(1))) == "image/jpeg"
    assert one("mime_type", tone_wav()) == "audio/wav" and one("mime_type", b"plain words") == "text/plain"
    assert one("mime_type", bytes(range(256))) == "application/octet-stream"


def test_document_text_reads_every_format_and_ocrs_scans(docs):
    texts = dict(zip(docs, call("document_text", list(docs.values()))))
    assert texts["scanned.pdf"] == OFFICE["scanned.pdf"]  # no text layer: rendered and read by Tesseract
    assert texts["report.pdf"] == "Quarterly report: revenue grew by ten percent."
    for name in ("letter.docx", "deck.pptx", "article.html", "story.epub"):
        assert OFFICE[name] in texts[name], name
    with pytest.raises(FunctionError, match="document_text: unsupported document type image/png"):
        one("document_text", picture(0))
    assert call("document_text", [picture(0), docs["report.pdf"]], on_error="null")[0] is None


def test_pdf_pages_render_ocr_metadata_and_tables(docs, tmp_path):
    pages = one("pdf_pages", docs["scanned.pdf"], dpi=50)
    assert [(p["page"], p["text"]) for p in pages] == [(1, "")] and info(pages[0]["image"])["format"] == "PNG"
    assert one("pdf_pages", docs["report.pdf"], dpi=0) == [{"page": 1, "text": "Quarterly report: revenue grew by ten "
                                                                              "percent.", "image": None}]
    rendered = info(one("pdf_render", docs["report.pdf"], page=1, dpi=144))
    assert (rendered["width"], rendered["height"]) == (1224, 1584)  # US letter at 2x
    with pytest.raises(FunctionError, match=r"pdf_render: page 2 does not exist \(the PDF has 1 pages\)"):
        one("pdf_render", docs["report.pdf"], page=2)
    assert one("pdf_ocr", docs["scanned.pdf"]) == OFFICE["scanned.pdf"]
    meta = one("pdf_metadata", docs["scanned.pdf"])
    assert meta["pages"] == 1 and meta["encrypted"] is False and meta["created"].startswith("D:20")
    assert one("pdf_tables", docs["report.pdf"]) == []
    for fn in ("pdf_pages", "pdf_render", "pdf_ocr", "pdf_metadata", "pdf_tables"):
        with pytest.raises(FunctionError, match=f"{fn}: input is not a PDF"):
            one(fn, b"not a pdf")


def test_document_functions_name_the_format_they_expected(docs):
    for fn, kind in (("docx_text", "DOCX"), ("pptx_text", "PPTX"), ("xlsx_text", "XLSX"), ("epub_text", "EPUB")):
        with pytest.raises(FunctionError, match=f"{fn}: input is not a {kind} file"):
            one(fn, docs["report.pdf"])
        with pytest.raises(FunctionError, match=f"{fn}: input is not a {kind} file .*no "):
            one(fn, docs["story.epub" if kind != "EPUB" else "letter.docx"])


def _astronaut() -> bytes:
    import importlib.util

    root = Path(importlib.util.find_spec("skimage").submodule_search_locations[0])
    return (root / "data" / "astronaut.png").read_bytes()


def test_faces_are_found_in_a_real_photo_and_not_in_text():
    faces = one("detect_faces", _astronaut(), min_size=60)
    assert len(faces) == 1
    face = faces[0]
    assert 150 < face["x"] + face["w"] / 2 < 280 and 50 < face["y"] + face["h"] / 2 < 170  # her face, top centre
    crop = info(call("image_crop", [_astronaut()], [face["x"]], [face["y"]], [face["w"]], [face["h"]])[0])
    assert (crop["width"], crop["height"]) == (face["w"], face["h"])
    assert one("detect_faces", text_image("NO FACES HERE")) == []
    assert one("nsfw_score", _astronaut()) < 0.2 and one("nsfw_score", picture(3)) < 0.2


def test_image_signals():
    photo = picture(1)
    assert one("colorfulness", photo) > 50
    grey = one("image_grayscale", photo)
    assert one("colorfulness", grey) == pytest.approx(0.0, abs=1e-6) and info(grey)["mode"] == "L"
    assert one("image_entropy", photo) > 5 > one("image_entropy", text_image("A"))
    colors = one("dominant_colors", text_image("HELLO WORLD"), k=2)
    assert colors[0]["hex"] == "#ffffff" and colors[0]["share"] > 0.8 and sum(c["share"] for c in colors) == pytest.approx(1)
    assert one("text_area_ratio", text_image("THE QUICK BROWN FOX JUMPS")) > 0.1
    assert one("text_area_ratio", photo) == 0.0
    assert one("image_exif", photo) == []  # a map without entries
    exif = Image.Image.getexif(Image.new("RGB", (1, 1)))
    exif[0x010F], exif[0x0132] = "LakeCam", "2026:11:30 07:00:00"  # Make, DateTime
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="JPEG", exif=exif)
    assert dict(one("image_exif", out.getvalue())) == {"Make": "LakeCam", "DateTime": "2026:11:30 07:00:00"}


def test_perceptual_hashes_match_resized_copies_only():
    def bits(a, b):
        return bin((a ^ b) & (2**64 - 1)).count("1")

    for fn, close in (("dhash", 6), ("ahash", 4), ("phash", 6)):
        same = bits(one(fn, picture(1)), one(fn, variant(picture(1))))
        other = min(bits(one(fn, picture(1)), one(fn, picture(i))) for i in (0, 2, 3, 4))
        assert same <= close < other, (fn, same, other)


def test_orientation_detection_and_rotation_make_ocr_work():
    line = "The quick brown fox jumps over the lazy dog, again and again."
    for degrees in (90, 180, 270):
        turned = text_image(line, rotate=degrees)
        found = one("image_orientation", turned)
        assert found["rotate"] == degrees and found["script"] == "Latin"
        upright = call("image_rotate", [turned], [found["rotate"]])[0]
        assert one("ocr", upright) == line


def test_ocr_levels_skewed_text_before_reading_it():
    """A scan a few degrees off: Tesseract alone read nothing at ±10–15°; ocr levels it first
    (projection profiles), and ocr_words keeps the original image's coordinates."""
    from lakelens.udfs.image import open_image, skew_angle

    line = "Invoice 2041 is due on Friday"
    for degrees in (-14, 8, 15):
        turned = text_image(line, rotate=degrees)
        assert skew_angle(open_image(turned, "test")) == pytest.approx(degrees, abs=0.5)
        assert one("ocr", turned) == line
        assert one("ocr", turned, engine="rapidocr").replace(" ", "") == line.replace(" ", "")
    assert skew_angle(open_image(text_image(line), "test")) == 0.0
    # A photograph peaks weakly at some angle: it is left as it is, and so is its caption.
    from PIL import ImageDraw, ImageFont
    from skimage import data

    photo = Image.new("RGB", (512, 600), "white")
    photo.paste(Image.fromarray(data.camera()).convert("RGB"), (0, 0))
    ImageDraw.Draw(photo).text((20, 540), line, fill="black", font=ImageFont.load_default(size=28))
    assert skew_angle(photo) == 0.0 and skew_angle(Image.fromarray(data.horse())) == 0.0
    out = io.BytesIO()
    photo.save(out, "PNG")
    assert line in one("ocr", out.getvalue())


def test_rapidocr_reads_text_with_the_bundled_pp_ocr_models():
    from faker import Faker
    from PIL import ImageDraw, ImageFont

    text = one("ocr", text_image("INVOICE 2041 TOTAL 318 EUR"), engine="rapidocr")
    assert text.replace(" ", "") == "INVOICE2041TOTAL318EUR"
    # A script Tesseract here cannot read: Chinese (Faker's word list, a font from Debian's
    # fonts-wqy-microhei), one character error allowed over three lines.
    fake = Faker("zh_CN")
    fake.seed_instance(7)
    font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 40)
    lines = ["".join(fake.words(5)) for _ in range(3)]
    images = []
    for line in lines:
        img = Image.new("RGB", (int(font.getlength(line)) + 80, 120), "white")
        ImageDraw.Draw(img).text((40, 40), line, fill="black", font=font)
        out = io.BytesIO()
        img.save(out, "PNG")
        images.append(out.getvalue())
    read = call("ocr", images, engine="rapidocr")
    assert sum(edit_distance(a, b) for a, b in zip(lines, read)) <= 1, (lines, read)
    with pytest.raises(FunctionError, match="ocr: engine must be 'tesseract' or 'rapidocr', got 'x'"):
        one("ocr", text_image("A"), engine="x")


def test_image_transforms():
    photo = picture(2)  # 256 x 256
    cover = one("image_resize", photo, width=100, height=50, fit="cover")
    assert (info(cover)["width"], info(cover)["height"]) == (100, 50)
    contain = info(one("image_resize", photo, width=100, height=50))
    assert (contain["width"], contain["height"]) == (50, 50)
    jpeg = one("image_resize", photo, width=10, height=20, fit="stretch", format="jpeg")
    assert info(jpeg) == {"format": "JPEG", "width": 10, "height": 20, "mode": "RGB"}
    assert info(one("image_convert", photo, format="webp"))["format"] == "WEBP"
    with pytest.raises(FunctionError, match="image_convert: format must be one of"):
        one("image_convert", photo, format="exe")
    with pytest.raises(FunctionError, match="image_resize: width must be between 1 and 16384, got 0"):
        one("image_resize", photo, width=0, height=5)
    clipped = info(call("image_crop", [photo], [200], [200], [100], [100])[0])
    assert (clipped["width"], clipped["height"]) == (56, 56)
    with pytest.raises(FunctionError, match="image_crop: the box .* lies outside the 256x256 image"):
        call("image_crop", [photo], [300], [0], [10], [10])
    wide = text_image("WIDE")
    w = info(wide)
    turned = info(call("image_rotate", [wide], [90])[0])
    assert (turned["width"], turned["height"]) == (w["height"], w["width"])


@pytest.mark.parametrize("fn", ["image_exif", "dominant_colors", "colorfulness", "image_entropy", "detect_faces",
                                "dhash", "ahash", "image_grayscale", "image_convert"])
def test_image_operators_name_themselves_on_bad_input(fn):
    options = {"format": "png"} if fn == "image_convert" else {}
    for kind, data in bad_inputs(picture(0)).items():
        with pytest.raises(FunctionError, match=f"^{fn}: "):
            one(fn, data, **options)
    assert call(fn, [b"junk", picture(0)], on_error="null", **options)[0] is None


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("speech") / "s.wav"
    speak_wav("hello and welcome to the demo", path)
    return path.read_bytes()


def test_voice_activity_loudness_and_trimming(speech):
    import numpy as np

    from lakelens.udfs.audio_video import _samples, wav_bytes

    voice, rate = _samples(speech, "test", 16000)
    silence = np.zeros(rate)
    framed = wav_bytes(np.concatenate([silence, voice, silence]), rate)
    segments = one("vad_segments", framed)
    assert len(segments) >= 1
    seconds = len(voice) / rate  # espeak's own file ends with a little silence
    loud = np.flatnonzero(np.abs(voice) > 0.01)  # where the speech is, to the sample
    assert segments[0]["start"] == pytest.approx(1 + loud[0] / rate, abs=0.1)
    assert segments[-1]["end"] == pytest.approx(1 + loud[-1] / rate, abs=0.1)
    assert one("speech_ratio", framed) < one("speech_ratio", speech)
    assert one("speech_ratio", tone_wav(0, silence_s=1)) == 0.0
    trimmed = one("audio_info", one("trim_silence", framed))["duration_s"]
    assert 0.7 * seconds <= trimmed <= seconds  # the added second on each side and espeak's own silence gone
    loud, quiet = one("loudness_lufs", tone_wav(seconds=2, amplitude=0.5)), one("loudness_lufs", tone_wav(seconds=2, amplitude=0.05))
    assert loud == pytest.approx(quiet + 20, abs=0.5)  # a tenth of the amplitude is 20 dB quieter
    assert one("loudness_lufs", tone_wav(seconds=0.2)) is None and one("loudness_lufs", tone_wav(0, silence_s=2)) is None


def test_conversion_and_clips_keep_the_speech(speech):
    converted = one("audio_convert", speech, sample_rate=8000)
    assert one("audio_info", converted) | {"duration_s": 0} == {"format": "wav", "duration_s": 0, "sample_rate": 8000,
                                                                 "channels": 1}
    flac = one("audio_info", one("audio_convert", speech, sample_rate=22050, channels=2, format="flac"))
    assert (flac["format"], flac["sample_rate"], flac["channels"]) == ("flac", 22050, 2)
    assert flac["duration_s"] == pytest.approx(one("audio_info", speech)["duration_s"], abs=0.05)
    clip = call("audio_clip", [speech], [0.5], [1.25])[0]
    assert one("audio_info", clip)["duration_s"] == pytest.approx(0.75, abs=0.01)
    with pytest.raises(FunctionError, match="audio_clip: the range 9.0–10.0 s is empty"):
        call("audio_clip", [speech], [9.0], [10.0])
    with pytest.raises(FunctionError, match="audio_convert: format must be 'wav' or 'flac'"):
        one("audio_convert", speech, format="mp3")


def test_video_operators_on_the_demo_clip(tmp_path, speech):
    path = tmp_path / "clip.mp4"
    write_clip(["SLIDE ONE", "SLIDE TWO", "SLIDE THREE"], "please send the report by friday", path)
    clip = path.read_bytes()
    scenes = one("video_scenes", clip)
    assert [s["start"] for s in scenes] == pytest.approx([0.0, 1.0, 2.0], abs=0.21)
    keyframes = one("video_keyframes", clip)
    assert keyframes[0]["time"] == 0.0 and one("ocr", keyframes[0]["image"]) == "SLIDE ONE"
    assert one("video_motion", clip) < 0.05
    thumb = one("video_thumbnail", clip, at_s=1.5, px=320)
    assert info(thumb)["width"] == 320 and one("ocr", one("image_resize", thumb, width=640, height=160)) == "SLIDE TWO"
    audio = one("video_audio", clip)
    assert one("audio_info", audio)["sample_rate"] == 16000
    assert wer("please send the report by friday", one("transcribe", audio)) <= 0.2
    with pytest.raises(FunctionError, match="video_scenes: input has no video stream"):
        one("video_scenes", speech)


def test_spoken_language_with_whisper_base(speech, tmp_path):
    import shutil
    import subprocess

    german = tmp_path / "de.wav"
    subprocess.run([shutil.which("espeak-ng"), "-w", str(german), "-v", "de", "-s", "130",
                    "Guten Morgen, heute scheint die Sonne und wir fahren an den See."], check=True)
    out = call("spoken_language", [speech, german.read_bytes(), tone_wav(0, silence_s=1)])
    assert [o and o["language"] for o in out] == ["en", "de", None]
    assert out[0]["probability"] > 0.5
    assert FUNCTIONS["spoken_language"].device == "gpu"


def test_bombs_fail_the_row_instead_of_the_worker(tmp_path, docs):
    import re
    import zipfile

    def repacked(data: bytes, member: str, edit) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                body = src.read(item)
                dst.writestr(item, edit(body.decode()) if item.filename == member else body)
        return out.getvalue()

    # a spine listing one chapter 5,000 times reads it once
    book = repacked(docs["story.epub"], "OEBPS/content.opf",
                    lambda x: x.replace('<itemref idref="c1"/>', '<itemref idref="c1"/>' * 5000))
    assert one("epub_text", book) == one("epub_text", docs["story.epub"])
    # a sheet declaring 16,384 columns and a million rows is read as the cells it has
    sheet = repacked(docs["budget.xlsx"], "xl/worksheets/sheet1.xml",
                     lambda x: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', x))
    assert one("xlsx_text", sheet) == one("xlsx_text", docs["budget.xlsx"])
    # a table cell claiming to span a million grid columns is one cell
    wide = repacked(docs["letter.docx"], "word/document.xml",
                    lambda x: x.replace("<w:tcPr>", '<w:tcPr><w:gridSpan w:val="1000000"/>', 1))
    assert one("docx_text", wide) == one("docx_text", docs["letter.docx"])

    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("word/media/blob.bin", b"\0" * (300 << 20))  # 300 MiB of zeros: a few hundred KB zipped
    assert bomb.stat().st_size < 2 << 20
    for fn in ("docx_text", "document_text"):
        with pytest.raises(FunctionError, match=f"{fn}: the DOCX file inflates to 300 MiB, more than the 256 MiB"):
            one(fn, bomb.read_bytes())
    huge = tmp_path / "huge.pdf"  # a 200 x 200 inch page
    Image.new("L", (20, 20), 255).save(huge, format="PDF", resolution=0.1)
    with pytest.raises(FunctionError, match="pdf_render: a 14400x14400 pt page at 150 dpi would be 900 megapixels"):
        one("pdf_render", huge.read_bytes())
    with pytest.raises(FunctionError, match="image_resize: 16000x16000 is more than 100 megapixels"):
        one("image_resize", picture(0), width=16000, height=16000)
