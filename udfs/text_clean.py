"""Text cleaning: the mappers of data-preparation pipelines (Data-Juicer, NeMo Curator) as SQL functions.

Each takes a STRING and returns the cleaned STRING (or an array of pieces); NULL gives NULL.
"""

from __future__ import annotations

import re
import unicodedata

from .runtime import bounded, rowwise
from .spec import FunctionError, Param

TEXT = [Param("text", "string")]


@rowwise("fix_text", params=TEXT, returns="string", kind="clean", modality="text",
         model="ftfy (rules, no model)",
         description="Repairs mojibake (UTF-8 decoded as Latin-1/Windows-1252, possibly several times), "
                     "HTML entities in plain text, curly quotes and ligatures; keeps everything else.",
         example="SELECT fix_text('The Mona Lisa doesnÃ¢â‚¬â„¢t have eyebrows.')  "
                 "-- 'The Mona Lisa doesn''t have eyebrows.'")
def fix_text(text):
    import ftfy

    return ftfy.fix_text(text)


@rowwise("normalize_unicode", params=TEXT + [Param("form", "string", literal=True, default="NFKC",
                                                   doc="NFC, NFD, NFKC or NFKD")],
         returns="string", kind="clean", modality="text",
         check=lambda form: None if str(form).upper() in ("NFC", "NFD", "NFKC", "NFKD") else _bad(
             "normalize_unicode", f"form must be NFC, NFD, NFKC or NFKD, got {form!r}"),
         description="Unicode normalisation form NFC, NFD, NFKC (default: compatibility characters such as "
                     "full-width letters and ligatures become plain ones) or NFKD.",
         example="SELECT normalize_unicode('ﬁne Ｔｅｘｔ')  -- 'fine Text'")
def normalize_unicode(text, form):
    return unicodedata.normalize(str(form).upper(), text)


def _bad(fn: str, message: str):
    raise FunctionError(f"{fn}: {message}")


_PUNCT = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...", "\u3002": ".", "\uff0c": ",", "\u3001": ",", "\uff1a": ":", "\uff1b": ";", "\uff01": "!",
    "\uff1f": "?", "\uff08": "(", "\uff09": ")", "\u3010": "[", "\u3011": "]", "\u300a": '"', "\u300b": '"',
    "\u2022": "-", "\u00b7": "-",
})


@rowwise("normalize_punctuation", params=TEXT, returns="string", kind="clean", modality="text",
         description="Typographic and full-width punctuation to ASCII: curly quotes and guillemets to ' and \", "
                     "dashes and minus to -, ellipsis to ..., CJK full stops and commas to . and ,.",
         example="SELECT normalize_punctuation('“Hello” — it’s…')  -- '\"Hello\" - it''s...'")
def normalize_punctuation(text):
    return text.translate(_PUNCT)


# Zero-width space, word joiner and BOM go; ZWJ/ZWNJ stay (emoji sequences, Persian and Indic words).
_ANY_SPACE = re.compile(r"[^\S\n]+|[\u200b\u2060\ufeff]+")


@rowwise("normalize_whitespace", params=TEXT, returns="string", kind="clean", modality="text",
         description="Every kind of horizontal space (tabs, no-break, thin, ideographic, zero-width space) "
                     "becomes one ASCII space (zero-width joiners stay: emoji and scripts need them), lines are trimmed, line breaks (\\r\\n, \\r) become \\n; text is "
                     "otherwise unchanged.",
         example="SELECT normalize_whitespace('a\\u00a0\\u00a0b\\t c\\r\\nnext ')  -- 'a b c\\nnext'")
def normalize_whitespace(text):
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    return "\n".join(_ANY_SPACE.sub(" ", line).strip() for line in text.split("\n")).strip()


@rowwise("strip_accents", params=TEXT, returns="string", kind="clean", modality="text",
         description="Removes diacritics (combining marks after NFKD decomposition): 'Crème brûlée' → "
                     "'Creme brulee'. Letters without a decomposition (ß, ø, ł) stay.",
         example="SELECT strip_accents('Crème brûlée à São Paulo')  -- 'Creme brulee a Sao Paulo'")
def strip_accents(text):
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
URL = re.compile(r"\b(?:(?:https?|ftp)://|www\.)[^\s<>\"'()\[\]{}]+[^\s<>\"'()\[\]{}.,;:!?]", re.IGNORECASE)
REPL = Param("replacement", "string", literal=True, default="", doc="what replaces each match")


def _tidy(text: str) -> str:
    """After removing pieces: no doubled spaces, no space before punctuation, trimmed lines."""
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r" +([,.;:!?])", r"\1", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


@rowwise("remove_emails", params=TEXT + [REPL], returns="string", kind="clean", modality="text",
         description="Removes e-mail addresses (or replaces them with replacement).",
         example="SELECT remove_emails('Write to ann@example.com today')  -- 'Write to today'")
def remove_emails(text, replacement):
    return _tidy(EMAIL.sub(replacement, text))


@rowwise("remove_links", params=TEXT + [REPL], returns="string", kind="clean", modality="text",
         description="Removes URLs (http, https, ftp and www. links; trailing punctuation is kept) or "
                     "replaces them with replacement.",
         example="SELECT remove_links('See https://example.com/a?b=1. Or www.test.org!')  -- 'See. Or!'")
def remove_links(text, replacement):
    return _tidy(URL.sub(replacement, text))


@rowwise("extract_urls", params=TEXT, returns="array<string>", kind="extract", modality="text",
         description="The URLs in the text (http, https, ftp, www.), in order of appearance.",
         example="SELECT extract_urls('Docs at https://lakelens.dev/docs and www.example.org.')")
def extract_urls(text):
    return URL.findall(text)


@rowwise("extract_emails", params=TEXT, returns="array<string>", kind="extract", modality="text",
         description="The e-mail addresses in the text, in order of appearance.",
         example="SELECT extract_emails('ann@example.com, bob@example.org')")
def extract_emails(text):
    return EMAIL.findall(text)


_COMMENT_BLOCK = re.compile(r"\A\s*/\*.*?\*/\s*", re.DOTALL)
_COMMENT_LINE = re.compile(r"^\s*(#|//|--|;|%)")


@rowwise("remove_copyright", params=TEXT, returns="string", kind="clean", modality="text",
         description="Removes a copyright/licence header from source code or text: a leading /* … */ block, "
                     "or leading comment lines (#, //, --, ;, %), that mentions 'copyright' or 'license'.",
         example="SELECT remove_copyright('/* Copyright 2024 ACME */\\nint main() {}')  -- 'int main() {}'")
def remove_copyright(text):
    block = _COMMENT_BLOCK.match(text)
    if block and re.search(r"copyright|licen[cs]e|\(c\)|©", block.group(0), re.IGNORECASE):
        return text[block.end():]
    lines = text.split("\n")
    n = 0
    while n < len(lines) and _COMMENT_LINE.match(lines[n]):
        n += 1
    if n and re.search(r"copyright|licen[cs]e|\(c\)|©", "\n".join(lines[:n]), re.IGNORECASE):
        return "\n".join(lines[n:]).lstrip("\n")
    return text


@rowwise("remove_emoji", params=TEXT, returns="string", kind="clean", modality="text",
         model="emoji package (Unicode emoji list)",
         description="Removes emoji (including skin-tone and ZWJ sequences and flags).",
         example="SELECT remove_emoji('Great job 👍🏽 see you 🇩🇪!')  -- 'Great job see you!'")
def remove_emoji(text):
    import emoji

    return _tidy(emoji.replace_emoji(text, ""))


@rowwise("strip_markdown", params=TEXT, returns="string", kind="clean", modality="text",
         model="markdown-it-py (CommonMark parser)",
         description="Plain text of Markdown: markup, link targets, images and HTML removed; headings, "
                     "paragraphs and list items become lines; code blocks keep their text.",
         example="SELECT strip_markdown('# Title\\n\\nSome **bold** [link](http://x.y) text.')  "
                 "-- 'Title\\n\\nSome bold link text.'")
def strip_markdown(text):
    from markdown_it import MarkdownIt

    from .text import strip

    return strip(MarkdownIt("commonmark").render(text))


@rowwise("remove_repeated_lines", params=TEXT, returns="string", kind="clean", modality="text",
         description="Keeps the first occurrence of each non-empty line (compared after trimming) and drops "
                     "later repeats: navigation bars, footers and copy-pasted blocks.",
         example="SELECT remove_repeated_lines('Menu\\nStory one\\nMenu\\nStory two')  -- 'Menu\\nStory one\\nStory two'")
def remove_repeated_lines(text):
    seen, out = set(), []
    for line in text.split("\n"):
        key = line.strip()
        if key and key in seen:
            continue
        seen.add(key)
        out.append(line)
    return "\n".join(out)


# A sentence ends at . ! ? (runs of them, closing quotes and brackets included) followed by
# whitespace or the line's end, after a CJK full stop, or at a line break: "$5.99",
# "example.com" and "(note.)" stay inside their sentence.
_SENTENCE = re.compile(r"\S.*?(?:[.!?]+[\"'”’)\]]*(?=\s|$)|[。！？]+|$)")


def sentences(text: str) -> list[str]:
    """The text's sentences, trimmed, empty ones dropped, their characters unchanged."""
    return [m.group(0).strip() for line in text.split("\n") for m in _SENTENCE.finditer(line) if m.group(0).strip()]


@rowwise("remove_repeated_sentences", params=TEXT, returns="string", kind="clean", modality="text",
         description="Drops every sentence that repeats an earlier one (case and spacing ignored); the others "
                     "keep their order, joined by single spaces within a line.",
         example="SELECT remove_repeated_sentences('Buy now. Great price. Buy now! Free shipping.')  "
                 "-- 'Buy now. Great price. Free shipping.'")
def remove_repeated_sentences(text):
    out_lines = []
    seen = set()
    for line in text.split("\n"):
        kept = []
        for s in sentences(line):
            key = re.sub(r"\W+", " ", s.lower()).strip()
            if key and key in seen:
                continue
            seen.add(key)
            kept.append(s)
        if kept or not line.strip():
            out_lines.append(" ".join(kept))
    return "\n".join(out_lines).strip()


@rowwise("remove_long_words", params=TEXT + [Param("max_len", "int", literal=True, default=25,
                                                    doc="longest word kept, in characters")],
         returns="string", kind="clean", modality="text",
         check=lambda max_len: bounded("remove_long_words", "max_len", max_len, 1, 10_000),
         description="Drops whitespace-separated tokens longer than max_len characters (hashes, base64 blobs, "
                     "run-together junk), surrounding punctuation not counted; the kept words of each line are "
                     "joined by single spaces.",
         example="SELECT remove_long_words('ok aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa fine', 20)  -- 'ok fine'")
def remove_long_words(text, max_len):
    def keep(token):
        return len(token.strip(".,;:!?\"'()[]{}")) <= max_len

    return "\n".join(" ".join(t for t in line.split() if keep(t)) for line in text.split("\n")).strip()


BOILERPLATE = ("javascript", "lorem ipsum", "cookie policy", "uses cookies", "use of cookies", "privacy policy",
               "terms of use", "terms of service", "all rights reserved", "subscribe to our newsletter",
               "sign up for our newsletter", "click here", "skip to content", "skip to main content")


@rowwise("remove_boilerplate", params=TEXT, returns="string", kind="clean", modality="text",
         description="Drops lines that are web boilerplate (as C4's line filter does): lines mentioning "
                     "javascript, cookies, privacy policy, terms of use, 'all rights reserved', newsletters, "
                     "'click here', 'skip to content', or lorem ipsum.",
         example="SELECT remove_boilerplate('Real news here.\\nThis site uses cookies.\\n© 2024 All rights "
                 "reserved.')  -- 'Real news here.'")
def remove_boilerplate(text):
    return "\n".join(line for line in text.split("\n") if not any(b in line.lower() for b in BOILERPLATE)).strip()


@rowwise("split_sentences", params=TEXT, returns="array<string>", kind="extract", modality="text",
         description="The text's sentences (ending in . ! ? or their CJK forms, or at a line break), trimmed.",
         example="SELECT split_sentences('One. Two! Three?')  -- ['One.', 'Two!', 'Three?']")
def split_sentences(text):
    return sentences(text)


def _check_chunk(max_chars, overlap, by):
    bounded("chunk_text", "max_chars", max_chars, 1, 10_000_000)
    bounded("chunk_text", "overlap", overlap, 0, max_chars // 2)  # more would repeat text quadratically
    if by not in ("sentence", "paragraph", "word", "char"):
        raise FunctionError(f"chunk_text: by must be 'sentence', 'paragraph', 'word' or 'char', got {by!r}")


def chunk(text: str, max_chars: int, overlap: int, by: str) -> list[str]:
    """Pieces of at most max_chars characters made of whole units (sentences, paragraphs, words);
    a unit longer than max_chars is cut by characters. Consecutive chunks share about `overlap`
    characters of whole units (exact characters for by='char')."""
    if by == "char":
        step = max_chars - overlap
        return [text[i:i + max_chars] for i in range(0, max(len(text) - overlap, 1), step) if text[i:i + max_chars].strip()]
    if by == "paragraph":
        units = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        sep = "\n\n"
    elif by == "word":
        units, sep = text.split(), " "
    else:
        units, sep = sentences(text), " "
    pieces = []
    for unit in units:  # a unit that alone is too long is cut by characters
        pieces += [unit[i:i + max_chars] for i in range(0, len(unit), max_chars)] if len(unit) > max_chars else [unit]
    chunks: list[str] = []
    current: list[str] = []
    length = 0  # len(sep.join(current)), kept as units come and go (joining each time is quadratic)
    for unit in pieces:
        if current and length + len(sep) + len(unit) > max_chars:
            chunks.append(sep.join(current))
            tail: list[str] = []
            tail_length = -len(sep)
            while current and tail_length + len(sep) + len(current[-1]) <= overlap:
                tail_length += len(sep) + len(current[-1])
                tail.insert(0, current.pop())
            current = tail if tail and tail_length + len(sep) + len(unit) <= max_chars else []
            length = tail_length if current else 0
        length = length + len(sep) + len(unit) if current else len(unit)
        current.append(unit)
    if current:
        chunks.append(sep.join(current))
    return chunks


@rowwise("chunk_text", params=TEXT + [Param("max_chars", "int", literal=True, default=1000),
                                      Param("overlap", "int", literal=True, default=0,
                                            doc="characters shared by consecutive chunks"),
                                      Param("by", "string", literal=True, default="sentence",
                                            doc="'sentence', 'paragraph', 'word' or 'char'")],
         returns="array<string>", kind="clean", modality="text", check=_check_chunk,
         description="Splits text for retrieval into chunks of at most max_chars characters made of whole "
                     "sentences (or paragraphs, words, characters), consecutive chunks sharing about overlap "
                     "characters; explode the array (posexplode gives each chunk's position).",
         example="SELECT id, pos, c FROM demo.media.articles "
                 "LATERAL VIEW posexplode(chunk_text(body, max_chars => 60, overlap => 20, by => 'word')) AS pos, c")
def chunk_text(text, max_chars, overlap, by):
    return chunk(text, max_chars, overlap, by)
