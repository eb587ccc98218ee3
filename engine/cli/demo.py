"""`lakelens demo`: a small multimodal lakehouse with known content.

Catalog `demo`, schema `media`:
  volume `scans`       PNG images rendered with known text (for OCR)
  volume `recordings`  WAV speech made by espeak-ng (for transcription)
  volume `docs`        PDFs and text files with known text; a scanned PDF (no text layer), a Word
                       document, a PowerPoint deck, an Excel workbook, a web page and an EPUB
  volume `photos`      synthetic pictures, three of them also as resized JPEG copies (for dedup)
  volume `clips`       an MP4 video: one text slide per second and a spoken sentence
  table  `assets`      (Delta) one row per file: path, kind, expected text, label id
  table  `labels`      (Iceberg) label id → label and category
  table  `articles`    (Delta) short articles, three with lightly edited copies (for dedup)
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

SCANS = [
    ("invoice_001.png", "INVOICE 001 TOTAL 42 EUR", 1),
    ("receipt_002.png", "RECEIPT 002 COFFEE 3 EUR", 2),
    ("memo_003.png", "MEMO 003 MEET AT NOON", 3),
    ("poster_004.png", "LAKELENS MULTIMODAL SQL", 4),
]
RECORDINGS = [
    ("hello.wav", "hello and welcome to the demo", 5),
    ("weather.wav", "the weather is sunny and warm today", 5),
]
DOCS = [
    ("report.pdf", "Quarterly report: revenue grew by ten percent.", 6),
    ("notes.pdf", "Meeting notes: ship the gateway next week.", 6),
    ("readme.txt", "Plain text notes about the demo lakehouse.", 6),
]
# Office, web and e-book documents and a scanned PDF, for the document functions (not in `assets`).
OFFICE = {
    "letter.docx": "Dear team, the lakehouse migration finished on time.",
    "deck.pptx": "Roadmap: Flight SQL and a web console",
    "budget.xlsx": "Budget 2027",
    "article.html": "Lake levels rose for the third year in a row, the survey found.",
    "story.epub": "Once upon a time a lake kept every version of its water.",
    "scanned.pdf": "SCANNED CONTRACT SIGNED IN MAY",
}
CLIPS = [("slides.mp4", ["SLIDE ONE", "SLIDE TWO", "SLIDE THREE"], "please send the report by friday")]
PHOTOS = 6  # photo_0.png … photo_5.png; photos 0, 2 and 4 also as photo_<n>_small.jpg
ARTICLES = [
    (1, "The city council approved the new cycling lanes along the river after a long debate on Tuesday evening."),
    (2, "Researchers found that the lake water quality improved steadily over the last five summers."),
    (3, "The bakery on Main Street will close for renovation in March and reopen with a larger kitchen."),
    (4, "A local team won the regional robotics contest with a robot that sorts recycling by material."),
    (5, "Train services between the two towns resume next week once the bridge repairs are finished."),
    (6, "The museum opens an exhibition of early photographs of the harbour and its fishing boats."),
    (7, "Volunteers planted four hundred trees in the park to replace those lost in the winter storm."),
    (8, "The library extends its opening hours during the exam period for students of the university."),
    # Planted near-duplicates: a few words changed.
    (101, "The city council approved the new cycling lanes along the river after a long debate on Monday evening."),
    (102, "Researchers found that the lake water quality improved steadily over the past five summers."),
    (103, "Volunteers planted four hundred young trees in the park to replace those lost in the winter storm."),
]
LABELS = [(1, "invoice", "finance"), (2, "receipt", "finance"), (3, "memo", "office"),
          (4, "poster", "marketing"), (5, "speech", "audio"), (6, "document", "text")]


def render_text_png(text: str, path: Path, size: tuple[int, int] = (900, 160)) -> None:
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=48)
    draw.text((24, size[1] // 2 - 30), text, fill="black", font=font)
    img.save(path, format="PNG")


def speak_wav(text: str, path: Path) -> None:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng); `make run` installs it")
    # US voice, slow, with gaps between words: the clearest espeak speech for Whisper tiny.en.
    subprocess.run([espeak, "-w", str(path), "-v", "en-us", "-s", "120", "-g", "4", text], check=True,
                   capture_output=True)


def write_text_pdf(text: str, path: Path) -> None:
    """A one-page PDF with a real text layer (Helvetica), written by hand: no extra dependency."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 18 Tf 72 720 Td ({safe}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))


def write_office(name: str, text: str, path: Path) -> None:
    """A small real document of the type its name says, holding `text` (python-docx, python-pptx,
    openpyxl; HTML and EPUB written as text; a scanned PDF is an image of the text, no text layer)."""
    if name.endswith(".docx"):
        import docx

        d = docx.Document()
        d.add_heading("Status", level=1)
        d.add_paragraph(text)
        table = d.add_table(rows=2, cols=2)
        for r, row in enumerate((("phase", "state"), ("migration", "done"))):
            for c, value in enumerate(row):
                table.cell(r, c).text = value
        d.save(path)
    elif name.endswith(".pptx"):
        import pptx

        deck = pptx.Presentation()
        for title in ("Planning 2027", text):
            slide = deck.slides.add_slide(deck.slide_layouts[1])
            slide.shapes.title.text = title
        deck.save(path)
    elif name.endswith(".xlsx"):
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = text
        for row in (("item", "cost"), ("storage", 1200), ("compute", 3400)):
            sheet.append(row)
        book.save(path)
    elif name.endswith(".html"):
        nav = "".join(f"<li><a href='/{x}'>{x.title()}</a></li>" for x in ("home", "news", "sport", "weather"))
        path.write_text(f"<html><head><title>Lake news</title></head><body><nav><ul>{nav}</ul></nav><article>"
                        f"<h1>Survey results</h1><p>{text}</p><p>Researchers measured the water level at twelve "
                        "points around the shore every month and compared it with records from earlier years.</p>"
                        "</article><footer>Copyright 2026 Lake News. All rights reserved.</footer></body></html>")
    elif name.endswith(".epub"):
        import zipfile

        with zipfile.ZipFile(path, "w") as z:
            z.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
            z.writestr("META-INF/container.xml", '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:'
                       'names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" '
                       'media-type="application/oebps-package+xml"/></rootfiles></container>')
            z.writestr("OEBPS/content.opf", '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" '
                       'version="3.0"><manifest><item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/>'
                       '</manifest><spine><itemref idref="c1"/></spine></package>')
            z.writestr("OEBPS/c1.xhtml", f"<html><body><h1>Chapter 1</h1><p>{text}</p></body></html>")
    elif name.endswith(".pdf"):
        from PIL import Image, ImageDraw, ImageFont

        img = Image.new("RGB", (1700, 2200), "white")
        ImageDraw.Draw(img).text((150, 300), text, fill="black", font=ImageFont.load_default(size=56))
        img.save(path, format="PDF", resolution=200)
    else:
        raise ValueError(name)


def video_with_audio(frame_at, size: tuple[int, int], wav: bytes, *, seconds: int = 0, fps: int = 5,
                     fmt: str = "mp4") -> bytes:
    """A video (MPEG-4, `size`) showing the RGB array `frame_at(second)` each second, for as long
    as the audio lasts and at least `seconds`, with `wav` re-encoded as AAC."""
    import io

    import av

    source = av.open(io.BytesIO(wav))
    in_audio = source.streams.audio[0]
    rate = in_audio.codec_context.sample_rate
    duration = float(in_audio.duration * in_audio.time_base) if in_audio.duration else 2.0
    out = io.BytesIO()
    with av.open(out, mode="w", format=fmt) as container:
        video = container.add_stream("mpeg4", rate=fps)
        video.width, video.height, video.pix_fmt, video.bit_rate = size[0], size[1], "yuv420p", 800_000
        audio = container.add_stream("aac", rate=rate)
        for second in range(max(seconds, int(duration) + 1)):
            frame = av.VideoFrame.from_ndarray(frame_at(second), format="rgb24")
            for _ in range(fps):
                for packet in video.encode(frame):
                    container.mux(packet)
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=rate)
        for decoded in source.decode(in_audio):
            for piece in resampler.resample(decoded):
                piece.pts = None
                for packet in audio.encode(piece):
                    container.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode():
                container.mux(packet)
    source.close()
    return out.getvalue()


def write_clip(slides: list[str], speech: str, path: Path) -> None:
    """An MP4: each slide's text on its own pale background for one second (the last one held),
    `speech` spoken."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=48)

    backgrounds = ["white", (255, 240, 170), (190, 220, 255)]  # a shot per slide, for video_scenes

    def slide(second: int):
        img = Image.new("RGB", (640, 160), backgrounds[min(second, len(slides) - 1) % len(backgrounds)])
        ImageDraw.Draw(img).text((24, 50), slides[min(second, len(slides) - 1)], fill="black", font=font)
        return np.asarray(img)

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        speak_wav(speech, wav)
        path.write_bytes(video_with_audio(slide, (640, 160), wav.read_bytes(), seconds=len(slides)))


def picture(seed: int, size: int = 256) -> bytes:
    """A distinct synthetic photo-like PNG (shapes on a gradient), the same for the same seed."""
    import io
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    img = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(img)
    top, bottom = [rng.randrange(256) for _ in range(3)], [rng.randrange(256) for _ in range(3)]
    for y in range(size):
        t = y / size
        draw.line([(0, y), (size, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))
    for _ in range(6):
        x0, y0 = rng.randrange(size), rng.randrange(size)
        x1, y1 = x0 + rng.randrange(20, size // 2), y0 + rng.randrange(20, size // 2)
        color = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)([x0, y0, x1, y1], fill=color)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def resized_copy(png: bytes, scale: float = 0.5, quality: int = 70) -> bytes:
    """The same picture resized and recompressed as JPEG: a near duplicate."""
    import io

    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    img = img.resize((int(img.width * scale), int(img.height * scale)), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def build_demo(session, force: bool = False, log=lambda *_: None) -> None:
    existing = {c.name for c in session.catalog.list_catalogs()}
    if "demo" in existing:
        if not force:
            log("catalog demo already exists (use --force to rebuild)")
            return
        session.sql("USE CATALOG main")
        # A rebuild, not a mistake to undo: the old demo skips the recycle bin.
        session.sql("ALTER CATALOG demo SET DBPROPERTIES ('retention_days' = '0')")
        session.sql("DROP CATALOG demo CASCADE")
    with tempfile.TemporaryDirectory(prefix="lakelens-demo-") as tmp:
        tmp = Path(tmp)
        for sub in ("scans", "recordings", "docs", "photos", "clips"):
            (tmp / sub).mkdir()
        for name, slides, speech in CLIPS:
            write_clip(slides, speech, tmp / "clips" / name)
        for i in range(PHOTOS):
            png = picture(i)
            (tmp / "photos" / f"photo_{i}.png").write_bytes(png)
            if i % 2 == 0:
                (tmp / "photos" / f"photo_{i}_small.jpg").write_bytes(resized_copy(png))
        for name, text, _ in SCANS:
            render_text_png(text, tmp / "scans" / name)
        for name, text, _ in RECORDINGS:
            speak_wav(text, tmp / "recordings" / name)
        for name, text, _ in DOCS:
            if name.endswith(".pdf"):
                write_text_pdf(text, tmp / "docs" / name)
            else:
                (tmp / "docs" / name).write_text(text + "\n")
        for name, text in OFFICE.items():
            write_office(name, text, tmp / "docs" / name)

        session.sql("CREATE CATALOG demo COMMENT 'lakelens demo lakehouse'")
        session.sql("CREATE SCHEMA demo.media COMMENT 'images, audio and documents'")
        for vol, comment in (("scans", "PNG scans with known text"), ("recordings", "WAV speech"),
                             ("docs", "PDF, office, web and text documents"), ("photos", "pictures, some with resized copies"),
                             ("clips", "a video with text slides and speech")):
            session.sql(f"CREATE VOLUME demo.media.{vol} COMMENT '{comment}'")
            session.sql(f"PUT '{tmp / vol}/' INTO '/Volumes/demo/media/{vol}/'")
            log(f"volume demo.media.{vol}: {len(list((tmp / vol).iterdir()))} files")

    rows = [(f"/Volumes/demo/media/scans/{n}", "image", t, l) for n, t, l in SCANS]
    rows += [(f"/Volumes/demo/media/recordings/{n}", "audio", t, l) for n, t, l in RECORDINGS]
    rows += [(f"/Volumes/demo/media/docs/{n}", "document", t, l) for n, t, l in DOCS]
    values = ", ".join("('{}', '{}', '{}', {})".format(*(str(v).replace("'", "\\'") for v in r)) for r in rows)
    session.sql("CREATE TABLE demo.media.assets USING delta COMMENT 'one row per demo file' AS "
                f"SELECT * FROM VALUES {values} AS t(path, kind, expected_text, label_id)")
    labels = ", ".join(f"({i}, '{l}', '{c}')" for i, l, c in LABELS)
    session.sql("CREATE TABLE demo.media.labels USING iceberg COMMENT 'label dictionary' AS "
                f"SELECT * FROM VALUES {labels} AS t(label_id, label, category)")
    log(f"table demo.media.assets (delta): {len(rows)} rows")
    log(f"table demo.media.labels (iceberg): {len(LABELS)} rows")
    articles = ", ".join(f"({i}, '{text}')" for i, text in ARTICLES)
    session.sql("CREATE TABLE demo.media.articles USING delta COMMENT 'articles, some near-duplicated' AS "
                f"SELECT * FROM VALUES {articles} AS t(id, body)")
    log(f"table demo.media.articles (delta): {len(ARTICLES)} rows")
    # Sample data, readable by every user of the server (as Databricks' `samples` catalog is);
    # writing to it stays its owner's, the user who built it.
    session.sql("GRANT USE CATALOG, USE SCHEMA, BROWSE, SELECT, READ VOLUME ON CATALOG demo TO `account users`")
    log("grants: every user may read catalog demo (SHOW GRANTS ON CATALOG demo)")


TRY_QUERIES = [
    "SELECT name, ocr(content) FROM demo.media.scans",
    "SELECT name, transcribe(content) FROM demo.media.recordings",
    "SELECT name, video_info(content), transcribe(content) FROM demo.media.clips",
    "SELECT name, try_pdf_text(content) FROM demo.media.docs",
    "SELECT id, dup_group, is_representative FROM dedup(TABLE(demo.media.articles), id => 'id', on => 'body')",
    "SELECT name, dup_group FROM dedup(TABLE(SELECT name, content FROM demo.media.photos), id => 'name', "
    "on => 'content', method => 'phash')",
    "EXPLAIN SELECT name, embed_text(ocr(content)) FROM demo.media.scans",
    # One process: the pool lives in the process that ran the statement.
    "SELECT name, embed_text(ocr(content)) FROM demo.media.scans; "
    "SELECT function, node, actors, batches, rows, model_loads FROM system.runtime.udf_pools",
    "SHOW FUNCTIONS",
]
