"""Text functions: clean (normalise, strip HTML, mask PII) and filter scores."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import pyarrow as pa

from .runtime import map_rows, return_arrow_type
from .spec import FUNCTIONS, Param, function

_HSPACE = re.compile(r"[^\S\n]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def _normalise_space(text: str) -> str:
    lines = [_HSPACE.sub(" ", line).strip() for line in text.split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    # Control and format characters (zero-width spaces, BOMs, escape codes) go; tabs and
    # newlines are whitespace and are normalised below.
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf"))
    return _normalise_space(text)


@function("clean_text", params=[Param("text", "string")], returns="string", kind="clean", modality="text",
          description="Unicode NFKC normalisation, control and zero-width characters removed, runs of "
                      "spaces collapsed, lines trimmed, at most one blank line in a row.",
          example="SELECT clean_text('Ｈｅｌｌｏ\\u200b   world\\t!')  -- 'Hello world !'")
class CleanText:
    def __call__(self, texts: pa.Array) -> pa.Array:
        return map_rows(texts, clean, pa.string())


class _TextOnly(HTMLParser):
    BLOCK = {"p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
             "section", "article", "header", "footer", "blockquote", "pre", "hr", "title"}
    SKIP = {"script", "style", "noscript", "template", "head"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def strip(text: str) -> str:
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    return _normalise_space("".join(parser.parts))  # entities already decoded (convert_charrefs)


@function("strip_html", params=[Param("html", "string")], returns="string", kind="clean", modality="text",
          description="Text content of an HTML document or fragment: tags removed, script/style dropped, "
                      "entities decoded, block elements become line breaks.",
          example="SELECT strip_html('<p>Fish &amp; chips</p><script>x()</script>')  -- 'Fish & chips'")
class StripHtml:
    def __call__(self, texts: pa.Array) -> pa.Array:
        return map_rows(texts, strip, pa.string())


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_SSN = re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}(?![\w-])")
_IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?!\.?\d)")


def _luhn(digits: str) -> bool:
    total, double = 0, False
    for ch in reversed(digits):
        d = int(ch)
        if double:
            d = d * 2 - 9 if d > 4 else d * 2
        total, double = total + d, not double
    return total % 10 == 0


_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")


def _is_card(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return 13 <= len(digits) <= 19 and _luhn(digits)


def _is_phone(text: str) -> bool:
    if _DATE.fullmatch(text.strip()):
        return False  # 2024-01-15, 15.01.2024: dates, not phone numbers
    return 7 <= len(re.sub(r"\D", "", text)) <= 15


# In priority order: a span found by an earlier detector is not searched again by a later one.
_DETECTORS = [("email", _EMAIL, None), ("iban", _IBAN, None), ("ip", _IPV4, None), ("card", _CARD, _is_card),
              ("id", _SSN, None), ("phone", _PHONE, _is_phone)]
_PLACEHOLDER = {"email": "<EMAIL>", "iban": "<IBAN>", "ip": "<IP>", "card": "<CARD>", "id": "<ID>", "phone": "<PHONE>"}


def find_pii(text: str) -> list[dict]:
    """Personal data in `text`: kind, matched text and [start, end) offsets, in order of position."""
    found: list[dict] = []
    for kind, pattern, accept in _DETECTORS:
        for m in pattern.finditer(text):
            if accept is not None and not accept(m.group(0)):
                continue
            if any(m.start() < f["end"] and f["start"] < m.end() for f in found):
                continue
            found.append({"kind": kind, "text": m.group(0), "start": m.start(), "end": m.end()})
    return sorted(found, key=lambda f: f["start"])


def mask(text: str) -> str:
    for f in reversed(find_pii(text)):
        text = text[:f["start"]] + _PLACEHOLDER[f["kind"]] + text[f["end"]:]
    return text


@function("mask_pii", params=[Param("text", "string")], returns="string", kind="clean", modality="text",
          description="Replaces personal data with typed placeholders: <EMAIL>, <IBAN>, <IP>, <CARD> "
                      "(13–19 digits passing the Luhn check), <ID> (123-45-6789 style), <PHONE> (7–15 digits).",
          example="SELECT mask_pii('Mail ann@example.com or call +44 20 7946 0958')  "
                  "-- 'Mail <EMAIL> or call <PHONE>'")
class MaskPii:
    def __call__(self, texts: pa.Array) -> pa.Array:
        return map_rows(texts, mask, pa.string())


_WORD = re.compile(r"\w+", re.UNICODE)


def stats(text: str) -> dict:
    words = _WORD.findall(text)
    visible = [ch for ch in text if not ch.isspace()]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    dup_lines = len(lines) - len(set(lines))
    return {
        "chars": len(text),
        "words": len(words),
        "alpha_ratio": (sum(ch.isalpha() for ch in visible) / len(visible)) if visible else 0.0,
        "dup_line_ratio": (dup_lines / len(lines)) if lines else 0.0,
        "mean_word_len": (sum(map(len, words)) / len(words)) if words else 0.0,
    }


@function("text_stats", params=[Param("text", "string")],
          returns="struct<chars int, words int, alpha_ratio double, dup_line_ratio double, mean_word_len double>",
          kind="filter", modality="text",
          description="Quality signals for filtering: length in characters and words, share of letters among "
                      "non-space characters, share of non-empty lines that repeat an earlier line, mean word length.",
          example="SELECT id FROM demo.media.articles WHERE text_stats(body).words >= 15 "
                  "AND text_stats(body).alpha_ratio > 0.9")
class TextStats:
    def __call__(self, texts: pa.Array) -> pa.Array:
        return map_rows(texts, stats, return_arrow_type(FUNCTIONS["text_stats"]))


@function("detect_language", params=[Param("text", "string")], returns="string", kind="filter", modality="text",
          model="langid.py model (py3langid package, bundled)", batch_size=1024,
          description="ISO 639-1 code of the text's language (97 languages); NULL for text without letters.",
          example="SELECT detect_language('Das ist ein kleines Haus')  -- 'de'")
class DetectLanguage:
    def __init__(self):
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self.identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)

    def __call__(self, texts: pa.Array) -> pa.Array:
        def one(text: str):
            if not any(ch.isalpha() for ch in text):
                return None
            return self.identifier.classify(text)[0]

        return map_rows(texts, one, pa.string())
