"""`lakelens demo`: a small multimodal lakehouse with known content.

Catalog `demo`, schema `media`:
  volume `scans`       PNG images rendered with known text (for OCR)
  volume `recordings`  WAV speech made by espeak-ng (for transcription)
  volume `docs`        PDFs and text files with known text
  table  `assets`      (Delta) one row per file: path, kind, expected text, label id
  table  `labels`      (Iceberg) label id → label and category
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
    ("hello.wav", "hello from the lakehouse", 5),
    ("numbers.wav", "one two three four five", 5),
]
DOCS = [
    ("report.pdf", "Quarterly report: revenue grew by ten percent.", 6),
    ("notes.pdf", "Meeting notes: ship the gateway next week.", 6),
    ("readme.txt", "Plain text notes about the demo lakehouse.", 6),
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
    subprocess.run([espeak, "-w", str(path), "-s", "140", text], check=True, capture_output=True)


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


def build_demo(session, force: bool = False, log=lambda *_: None) -> None:
    existing = {c.name for c in session.catalog.list_catalogs()}
    if "demo" in existing:
        if not force:
            log("catalog demo already exists (use --force to rebuild)")
            return
        session.sql("USE CATALOG main")
        session.sql("DROP CATALOG demo CASCADE")
    with tempfile.TemporaryDirectory(prefix="lakelens-demo-") as tmp:
        tmp = Path(tmp)
        for sub in ("scans", "recordings", "docs"):
            (tmp / sub).mkdir()
        for name, text, _ in SCANS:
            render_text_png(text, tmp / "scans" / name)
        for name, text, _ in RECORDINGS:
            speak_wav(text, tmp / "recordings" / name)
        for name, text, _ in DOCS:
            if name.endswith(".pdf"):
                write_text_pdf(text, tmp / "docs" / name)
            else:
                (tmp / "docs" / name).write_text(text + "\n")

        session.sql("CREATE CATALOG demo COMMENT 'lakelens demo lakehouse'")
        session.sql("CREATE SCHEMA demo.media COMMENT 'images, audio and documents'")
        for vol, comment in (("scans", "PNG scans with known text"), ("recordings", "WAV speech"),
                             ("docs", "PDF and text documents")):
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
