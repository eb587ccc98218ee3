"""Document functions: text of PDFs."""

from __future__ import annotations

import io

import pyarrow as pa

from .runtime import map_rows
from .spec import FunctionError, Param, function


@function("pdf_text", params=[Param("doc", "binary")], returns="string", kind="extract", modality="document",
          reads_media=True, model="pypdf (text layer; scanned pages without one give '' — OCR them instead)",
          description="Text of a PDF's pages (its text layer), pages separated by a form feed.",
          example="SELECT name, pdf_text(content) FROM demo.media.docs WHERE name LIKE '%.pdf'")
class PdfText:
    def __call__(self, docs: pa.Array) -> pa.Array:
        from pypdf import PdfReader

        def one(data: bytes) -> str:
            if not data:
                raise FunctionError("pdf_text: input is empty (0 bytes), not a PDF")
            if not data.lstrip()[:5].startswith(b"%PDF-"):
                raise FunctionError(f"pdf_text: input is not a PDF ({len(data)} bytes, no %PDF- header)")
            try:
                reader = PdfReader(io.BytesIO(data))
                if reader.is_encrypted:
                    raise FunctionError("pdf_text: the PDF is encrypted")
                return "\f".join((page.extract_text() or "").strip() for page in reader.pages)
            except FunctionError:
                raise
            except Exception as e:  # pypdf raises many types on damaged files (zlib, struct, recursion…)
                raise FunctionError(f"pdf_text: PDF could not be read ({len(data)} bytes): "
                                    f"{type(e).__name__}: {e}") from None

        return map_rows(docs, one, pa.string())
