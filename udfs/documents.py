"""Office documents, HTML, EPUB and PDFs beyond the text layer: text, tables, pages, metadata.

Every function reads the file's bytes (a volume's `content`), decodes it with a maintained
library and fails the row with a message naming the function when the bytes are not that
format (the `try_` twin gives NULL instead).
"""

from __future__ import annotations

import io
import zipfile

from .runtime import bounded, rowwise
from .spec import FunctionError, Param

DOC = [Param("doc", "binary")]
MAX_PAGES = 2000  # a PDF claiming more pages fails the row instead of rendering for hours
MAX_UNZIPPED = 256 << 20  # an Office/EPUB package inflating to more fails the row (a zip bomb)
MAX_PIXELS = 100_000_000  # a rendered page larger than this fails the row (as images do)
MAX_ROW_PIXELS = 400_000_000  # all pages pdf_pages renders for one document
MAX_CHARS = 64_000_000  # extracted text longer than this fails the row


def _zip(data: bytes, fn: str, kind: str, member: str) -> zipfile.ZipFile:
    if not data:
        raise FunctionError(f"{fn}: input is empty (0 bytes), not a {kind} file")
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FunctionError(f"{fn}: input is not a {kind} file ({len(data)} bytes, not a ZIP package)") from None
    if member not in z.namelist():
        raise FunctionError(f"{fn}: input is not a {kind} file ({len(data)} bytes, no {member})")
    inflated = sum(info.file_size for info in z.infolist())
    if inflated > MAX_UNZIPPED:
        raise FunctionError(f"{fn}: the {kind} file inflates to {inflated >> 20} MiB, more than the "
                            f"{MAX_UNZIPPED >> 20} MiB limit")
    return z


def _failed(fn: str, kind: str, data: bytes, e: Exception) -> FunctionError:
    return FunctionError(f"{fn}: {kind} could not be read ({len(data)} bytes): {type(e).__name__}: {e}")


def _capped(text: str, fn: str) -> str:
    if len(text) > MAX_CHARS:
        raise FunctionError(f"{fn}: the document's text is longer than {MAX_CHARS:,} characters")
    return text


def docx_text_of(data: bytes, fn: str = "docx_text") -> str:
    import docx
    from docx.oxml.ns import qn

    _zip(data, fn, "DOCX", "word/document.xml")
    try:
        d = docx.Document(io.BytesIO(data))
        parts = [p.text for p in d.paragraphs]
        for table in d.tables:
            for tr in table._tbl.tr_lst:  # the row's own cells: row.cells repeats a merged cell gridSpan times
                parts.append("\t".join("".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in tr.tc_lst))
        return _capped("\n".join(parts).strip(), fn)
    except FunctionError:
        raise
    except Exception as e:
        raise _failed(fn, "DOCX", data, e) from None


@rowwise("docx_text", params=DOC, returns="string", kind="extract", modality="document", reads_media=True,
         model="python-docx", description="Text of a Word document (.docx): paragraphs, then table rows "
                                           "(cells separated by tabs), one per line.",
         example="SELECT name, docx_text(content) FROM demo.media.docs WHERE name LIKE '%.docx'")
def docx_text(doc):
    return docx_text_of(doc)


def pptx_text_of(data: bytes, fn: str = "pptx_text") -> str:
    import pptx

    _zip(data, fn, "PPTX", "ppt/presentation.xml")
    try:
        deck = pptx.Presentation(io.BytesIO(data))
        slides = []
        for slide in deck.slides:
            texts = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame and shape.text_frame.text]
            if slide.has_notes_slide and slide.notes_slide.notes_text_frame.text:
                texts.append(slide.notes_slide.notes_text_frame.text)
            slides.append("\n".join(texts))
        return "\f".join(slides).strip()
    except Exception as e:
        raise _failed(fn, "PPTX", data, e) from None


@rowwise("pptx_text", params=DOC, returns="string", kind="extract", modality="document", reads_media=True,
         model="python-pptx", description="Text of a PowerPoint deck (.pptx): each slide's text boxes and speaker "
                                           "notes, slides separated by a form feed.",
         example="SELECT name, pptx_text(content) FROM demo.media.docs WHERE name LIKE '%.pptx'")
def pptx_text(doc):
    return pptx_text_of(doc)


def xlsx_text_of(data: bytes, fn: str = "xlsx_text") -> str:
    import openpyxl

    _zip(data, fn, "XLSX", "xl/workbook.xml")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheets, size = [], 0
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # the declared <dimension> would pad every row to its width
            rows = []
            for row in sheet.iter_rows(values_only=True):
                line = "\t".join("" if v is None else str(v) for v in row).rstrip("\t")
                size += len(line) + 1
                if size > MAX_CHARS:
                    raise FunctionError(f"{fn}: the workbook's text is longer than {MAX_CHARS:,} characters")
                if line.strip():
                    rows.append(line)
            sheets.append(f"# {sheet.title}\n" + "\n".join(rows))
        return "\n\n".join(sheets)
    except FunctionError:
        raise
    except Exception as e:
        raise _failed(fn, "XLSX", data, e) from None


@rowwise("xlsx_text", params=DOC, returns="string", kind="extract", modality="document", reads_media=True,
         model="openpyxl", description="Cell values of an Excel workbook (.xlsx; computed values, not formulas): "
                                        "per sheet a '# <sheet>' line, then one line per row, cells separated by tabs.",
         example="SELECT name, xlsx_text(content) FROM demo.media.docs WHERE name LIKE '%.xlsx'")
def xlsx_text(doc):
    return xlsx_text_of(doc)


def _decode_text(data: bytes) -> str:
    """UTF-16 when it starts with a byte-order mark, else UTF-8, else Windows-1252."""
    try:
        return data.decode("utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def html_text_of(data: bytes | str, fn: str = "html_text") -> str:
    import trafilatura

    html = data if isinstance(data, str) else _decode_text(data)
    if not html.strip():
        raise FunctionError(f"{fn}: input is empty, not HTML")
    text = trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True)
    if text is None:  # no main content found: the whole page's text
        from .text import strip

        text = strip(html)
    return text.strip()


@rowwise("html_text", params=[Param("html", "binary|string")], returns="string", kind="extract",
         modality="document", reads_media=True, model="trafilatura (main-content extraction)",
         description="The main content of a web page (article text, tables), without navigation, headers, footers, "
                     "ads and comments; the page's whole text when no main content is found. Takes the HTML as bytes "
                     "or a string.",
         example="SELECT name, html_text(content) FROM demo.media.docs WHERE name LIKE '%.html'")
def html_text(html):
    return html_text_of(html)


def epub_text_of(data: bytes, fn: str = "epub_text") -> str:
    import posixpath
    import re
    from xml.etree import ElementTree

    z = _zip(data, fn, "EPUB", "META-INF/container.xml")
    try:
        container = ElementTree.fromstring(z.read("META-INF/container.xml"))
        rootfile = next(e.get("full-path") for e in container.iter() if e.tag.endswith("rootfile"))
        opf = ElementTree.fromstring(z.read(rootfile))
        items = {e.get("id"): e.get("href") for e in opf.iter() if e.tag.endswith("}item")}
        spine = [e.get("idref") for e in opf.iter() if e.tag.endswith("}itemref")]
        base = posixpath.dirname(rootfile)
        from .text import strip

        chapters, size = [], 0
        for i in dict.fromkeys(spine):  # each chapter once, however often the spine lists it
            if i in items:
                chapters.append(strip(z.read(posixpath.join(base, items[i])).decode("utf-8", errors="replace")))
                size += len(chapters[-1])
                if size > MAX_CHARS:
                    raise FunctionError(f"{fn}: the book's text is longer than {MAX_CHARS:,} characters")
        return re.sub(r"\n{3,}", "\n\n", "\n\n".join(c for c in chapters if c)).strip()
    except FunctionError:
        raise
    except Exception as e:
        raise _failed(fn, "EPUB", data, e) from None


@rowwise("epub_text", params=DOC, returns="string", kind="extract", modality="document", reads_media=True,
         description="Text of an e-book (.epub): its chapters in reading order (the package's spine).",
         example="SELECT name, epub_text(content) FROM demo.media.docs WHERE name LIKE '%.epub'")
def epub_text(doc):
    return epub_text_of(doc)


_MAGIC = [(b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
          (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"), (b"BM", "image/bmp"), (b"II*\x00", "image/tiff"),
          (b"MM\x00*", "image/tiff"), (b"fLaC", "audio/flac"), (b"OggS", "audio/ogg"), (b"ID3", "audio/mpeg"),
          (b"\xff\xfb", "audio/mpeg"), (b"\xff\xf3", "audio/mpeg"), (b"\x1aE\xdf\xa3", "video/x-matroska"),
          (b"{\\rtf", "application/rtf"), (b"\x1f\x8b", "application/gzip")]


def sniff(data: bytes) -> str:
    """A file's media type from its first bytes (and, for ZIP packages, their members)."""
    head = data[:64]
    if head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"WEBP", b"AVI "):
        return {b"WAVE": "audio/wav", b"WEBP": "image/webp", b"AVI ": "video/x-msvideo"}[head[8:12]]
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return "audio/mp4" if brand in (b"M4A ", b"M4B ") else "image/heic" if brand in (b"heic", b"heix") \
            else "video/quicktime" if brand == b"qt  " else "video/mp4"
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            if mime == "video/x-matroska" and b"webm" in data[:256]:
                return "video/webm"
            return mime
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return "application/zip"
        for member, mime in (("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                             ("ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
                             ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                             ("META-INF/container.xml", "application/epub+zip")):
            if member in names:
                return mime
        return "application/zip"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with its byte-order mark
        try:
            sample = data[2:4098 - (4096 % 2)].decode("utf-16-le" if head[:2] == b"\xff\xfe" else "utf-16-be",
                                                      errors="strict")
            return "text/html" if sample.lstrip().lower().startswith(("<!doctype html", "<html")) else "text/plain"
        except UnicodeDecodeError:
            pass
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "text/html"
    if text.startswith(b"<?xml") or text.startswith(b"<svg"):
        return "image/svg+xml" if b"<svg" in data[:1024].lower() else "application/xml"
    try:
        data[:4096].decode("utf-8")
        return "text/plain"
    except UnicodeDecodeError as e:
        return "text/plain" if e.start > 4090 else "application/octet-stream"


@rowwise("mime_type", params=[Param("content", "binary")], returns="string", kind="extract", modality="any",
         description="The media type of a file sniffed from its bytes, not its name: application/pdf, image/png, "
                     "image/jpeg, audio/wav, video/mp4, the Office and EPUB types, text/html, text/plain, … "
                     "(application/octet-stream when unknown; '' has none).",
         example="SELECT name, mime_type(content) FROM demo.media.docs")
def mime_type(content):
    return sniff(content) if content else None


def _pdf(data: bytes, fn: str):
    import pypdfium2 as pdfium

    if not data or not data.lstrip()[:5].startswith(b"%PDF-"):
        raise FunctionError(f"{fn}: input is not a PDF ({len(data)} bytes, no %PDF- header)")
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise FunctionError(f"{fn}: PDF could not be read ({len(data)} bytes): {e}") from None
    if len(pdf) > MAX_PAGES:
        raise FunctionError(f"{fn}: the PDF has {len(pdf)} pages, more than {MAX_PAGES}")
    return pdf


def render_page(page, dpi: int, fn: str = "pdf_render") -> bytes:
    width, height = page.get_size()  # points (1/72 inch)
    pixels = (width * dpi / 72) * (height * dpi / 72)
    if pixels > MAX_PIXELS:
        raise FunctionError(f"{fn}: a {width:.0f}x{height:.0f} pt page at {dpi} dpi would be {pixels / 1e6:.0f} "
                            f"megapixels, more than {MAX_PIXELS // 1_000_000}")
    out = io.BytesIO()
    page.render(scale=dpi / 72).to_pil().save(out, format="PNG")
    return out.getvalue()


@rowwise("pdf_metadata", params=DOC,
         returns="struct<pages int, title string, author string, subject string, creator string, producer string, "
                 "created string, modified string, encrypted boolean>",
         kind="extract", modality="document", reads_media=True, model="pypdf",
         description="A PDF's page count and document information (title, author, subject, creator, producer, "
                     "creation and modification dates as written, e.g. D:20240115093000Z) and whether it is encrypted.",
         example="SELECT name, pdf_metadata(content).pages FROM demo.media.docs WHERE name LIKE '%.pdf'")
def pdf_metadata(doc):
    from pypdf import PdfReader

    if not doc.lstrip()[:5].startswith(b"%PDF-"):
        raise FunctionError(f"pdf_metadata: input is not a PDF ({len(doc)} bytes, no %PDF- header)")
    try:
        reader = PdfReader(io.BytesIO(doc))
        if reader.is_encrypted:
            return {"pages": None, "title": None, "author": None, "subject": None, "creator": None, "producer": None,
                    "created": None, "modified": None, "encrypted": True}
        info = reader.metadata or {}

        def get(key):
            value = info.get(key)
            return None if value is None else str(value)

        return {"pages": len(reader.pages), "title": get("/Title"), "author": get("/Author"), "subject": get("/Subject"),
                "creator": get("/Creator"), "producer": get("/Producer"), "created": get("/CreationDate"),
                "modified": get("/ModDate"), "encrypted": False}
    except Exception as e:
        raise _failed("pdf_metadata", "PDF", doc, e) from None


DPI = Param("dpi", "int", literal=True, default=72, doc="rendering resolution; 0: no image")


@rowwise("pdf_pages", params=DOC + [DPI], returns="array<struct<page int, text string, image binary>>",
         kind="extract", modality="document", reads_media=True, batch_size=8, model="pdfium (pypdfium2)",
         check=lambda dpi: bounded("pdf_pages", "dpi", dpi, 0, 600),
         description="One element per page: its number (from 1), its text layer and a PNG rendering at dpi "
                     "(NULL when dpi is 0). Explode it to work page by page: OCR the images of pages without text.",
         example="SELECT name, p.page, p.text FROM demo.media.docs LATERAL VIEW inline(pdf_pages(content, 0)) p "
                 "WHERE name LIKE '%.pdf'")
def pdf_pages(doc, dpi):
    pdf = _pdf(doc, "pdf_pages")
    try:
        out, pixels = [], 0
        for i in range(len(pdf)):
            page = pdf[i]
            if dpi:
                w, h = page.get_size()
                pixels += (w * dpi / 72) * (h * dpi / 72)
                if pixels > MAX_ROW_PIXELS:
                    raise FunctionError(f"pdf_pages: rendering the pages up to {i + 1} at {dpi} dpi passes "
                                        f"{MAX_ROW_PIXELS // 1_000_000} megapixels; use a lower dpi, or dpi 0 "
                                        "and pdf_render for the pages you need")
            text = page.get_textpage().get_text_bounded().replace("\r\n", "\n").strip()
            out.append({"page": i + 1, "text": text, "image": render_page(page, dpi, "pdf_pages") if dpi else None})
        return out
    finally:
        pdf.close()


@rowwise("pdf_render", params=DOC + [Param("page", "int", literal=True, default=1), Param("dpi", "int", literal=True,
                                                                                            default=150)],
         returns="binary", kind="extract", modality="document", reads_media=True, batch_size=16,
         model="pdfium (pypdfium2)",
         check=lambda page, dpi: (bounded("pdf_render", "page", page, 1, MAX_PAGES),
                                  bounded("pdf_render", "dpi", dpi, 1, 600)),
         description="One page (from 1) of a PDF rendered as a PNG image at dpi dots per inch: thumbnails, or "
                     "input for ocr and embed_image.",
         example="SELECT name, ocr(pdf_render(content, 1, 200)) FROM demo.media.docs WHERE name LIKE '%.pdf'")
def pdf_render(doc, page, dpi):
    pdf = _pdf(doc, "pdf_render")
    try:
        if page > len(pdf):
            raise FunctionError(f"pdf_render: page {page} does not exist (the PDF has {len(pdf)} pages)")
        return render_page(pdf[page - 1], dpi)
    finally:
        pdf.close()


def pdf_text_with_ocr(doc: bytes, lang: str, min_chars: int, fn: str) -> str:
    from .image import ocr_image

    pdf = _pdf(doc, fn)
    try:
        pages = []
        for i in range(len(pdf)):
            page = pdf[i]
            text = page.get_textpage().get_text_bounded().replace("\r\n", "\n").strip()
            if len(text) < min_chars:
                from PIL import Image

                img = Image.open(io.BytesIO(render_page(page, 300, fn)))
                text = ocr_image(img, lang, fn)
            pages.append(text)
        return "\f".join(pages)
    finally:
        pdf.close()


@rowwise("pdf_ocr", params=DOC + [Param("lang", "string", literal=True, default="eng"),
                                  Param("min_chars", "int", literal=True, default=20,
                                        doc="a page with less text than this is OCRed")],
         returns="string", kind="extract", modality="document", reads_media=True, batch_size=4,
         model="pdfium text layer; Tesseract 5 (Debian tesseract-ocr) for scanned pages",
         check=lambda lang, min_chars: bounded("pdf_ocr", "min_chars", min_chars, 0, 1_000_000),
         description="Text of every page of a PDF with OCR fallback: a page whose text layer has fewer than "
                     "min_chars characters (a scan) is rendered at 300 dpi and read by Tesseract; pages "
                     "separated by a form feed.",
         example="SELECT name, pdf_ocr(content) FROM demo.media.docs WHERE name LIKE '%.pdf'")
def pdf_ocr(doc, lang, min_chars):
    return pdf_text_with_ocr(doc, lang, min_chars, "pdf_ocr")


@rowwise("pdf_tables", params=DOC, returns="array<struct<page int, rows array<array<string>>>>", kind="extract",
         modality="document", reads_media=True, batch_size=8, model="pdfplumber (ruling lines and text alignment)",
         description="Tables found on a PDF's pages (drawn with ruling lines), each with its page number and its "
                     "rows as arrays of cell strings (NULL for empty cells).",
         example="SELECT name, t.page, t.rows FROM demo.media.docs LATERAL VIEW explode(pdf_tables(content)) AS t "
                 "WHERE name LIKE '%.pdf'")
def pdf_tables(doc):
    import pdfplumber

    _pdf(doc, "pdf_tables").close()
    try:
        with pdfplumber.open(io.BytesIO(doc)) as pdf:
            return [{"page": i + 1, "rows": [[None if c is None else str(c) for c in row] for row in table]}
                    for i, page in enumerate(pdf.pages) for table in page.extract_tables()]
    except Exception as e:
        raise _failed("pdf_tables", "PDF", doc, e) from None


@rowwise("document_text", params=DOC + [Param("lang", "string", literal=True, default="eng",
                                              doc="OCR language for scanned PDF pages")],
         returns="string", kind="extract", modality="document", reads_media=True, batch_size=4,
         model="by format: pdfium + Tesseract OCR fallback, python-docx, python-pptx, openpyxl, trafilatura",
         description="Text of any document, by its sniffed type (not its name): PDF (with OCR of scanned pages, "
                     "as pdf_ocr), DOCX, PPTX, XLSX, EPUB, HTML (main content) or plain text (UTF-8/16). Other "
                     "types fail the row naming the type.",
         example="SELECT name, mime_type(content), document_text(content) FROM demo.media.docs")
def document_text(doc, lang):
    kind = sniff(doc) if doc else "empty"
    if kind == "application/pdf":
        return pdf_text_with_ocr(doc, lang, 20, "document_text")
    if kind.endswith("wordprocessingml.document"):
        return docx_text_of(doc, "document_text")
    if kind.endswith("presentationml.presentation"):
        return pptx_text_of(doc, "document_text")
    if kind.endswith("spreadsheetml.sheet"):
        return xlsx_text_of(doc, "document_text")
    if kind == "application/epub+zip":
        return epub_text_of(doc, "document_text")
    if kind == "text/html":
        return html_text_of(doc, "document_text")
    if kind == "text/plain":
        return _decode_text(doc).strip()
    raise FunctionError(f"document_text: unsupported document type {kind} ({len(doc)} bytes)")
