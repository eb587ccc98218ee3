"""Text quality signals: the heuristic filters of web-scale data preparation, one SQL function each.

The definitions follow the published filters they come from (Gopher's quality rules, C4's line
filters, Data-Juicer's ratio filters) so thresholds from those papers and recipes carry over:
each description says exactly what is counted. Use them in WHERE, or together through
`text_quality`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

from .runtime import bounded, rowwise
from .spec import FunctionError, Param
from .text_clean import EMAIL, URL, sentences

TEXT = [Param("text", "string")]
WORD = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)


def words(text: str) -> list[str]:
    return WORD.findall(text)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _ratio(part: int | float, whole: int | float) -> float:
    return part / whole if whole else 0.0


@rowwise("word_count", params=TEXT, returns="int", kind="filter", modality="text",
         description="Number of words (runs of letters/digits, apostrophes inside words kept: \"don't\" is one).",
         example="SELECT id, word_count(body) FROM demo.media.articles WHERE word_count(body) > 15")
def word_count(text):
    return len(words(text))


@rowwise("line_count", params=TEXT, returns="int", kind="filter", modality="text",
         description="Number of non-empty lines.",
         example="SELECT line_count('a\\n\\nb\\nc')  -- 3")
def line_count(text):
    return len(_lines(text))


@rowwise("sentence_count", params=TEXT, returns="int", kind="filter", modality="text",
         description="Number of sentences (as split_sentences splits them).",
         example="SELECT sentence_count('One. Two! Three?')  -- 3")
def sentence_count(text):
    return len(sentences(text))


@rowwise("avg_line_length", params=TEXT, returns="double", kind="filter", modality="text",
         description="Mean length in characters of the non-empty lines (trimmed); 0 for empty text.",
         example="SELECT avg_line_length('ab\\nabcd')  -- 3.0")
def avg_line_length(text):
    lines = _lines(text)
    return _ratio(sum(map(len, lines)), len(lines))


@rowwise("max_line_length", params=TEXT, returns="int", kind="filter", modality="text",
         description="Length in characters of the longest line (trimmed); minified code and data dumps score high.",
         example="SELECT max_line_length('ab\\nabcd')  -- 4")
def max_line_length(text):
    return max((len(line) for line in _lines(text)), default=0)


@rowwise("avg_word_length", params=TEXT, returns="double", kind="filter", modality="text",
         description="Mean word length in characters (Gopher keeps documents with a mean between 3 and 10).",
         example="SELECT avg_word_length('the cat sat')  -- 3.0")
def avg_word_length(text):
    w = words(text)
    return _ratio(sum(map(len, w)), len(w))


def _char_ratio(text: str, test) -> float:
    return _ratio(sum(1 for ch in text if test(ch)), len(text))


@rowwise("alnum_ratio", params=TEXT, returns="double", kind="filter", modality="text",
         description="Share of all characters that are letters or digits (Data-Juicer's alphanumeric filter).",
         example="SELECT alnum_ratio('ab12!!')  -- 0.666…")
def alnum_ratio(text):
    return _char_ratio(text, str.isalnum)


@rowwise("digit_ratio", params=TEXT, returns="double", kind="filter", modality="text",
         description="Share of all characters that are digits.",
         example="SELECT digit_ratio('ab12')  -- 0.5")
def digit_ratio(text):
    return _char_ratio(text, str.isdigit)


@rowwise("uppercase_ratio", params=TEXT, returns="double", kind="filter", modality="text",
         description="Share of letters that are upper case (shouting, headings, OCR of capitals).",
         example="SELECT uppercase_ratio('ABCd')  -- 0.75")
def uppercase_ratio(text):
    letters = [ch for ch in text if ch.isalpha()]
    return _ratio(sum(ch.isupper() for ch in letters), len(letters))


@rowwise("whitespace_ratio", params=TEXT, returns="double", kind="filter", modality="text",
         description="Share of all characters that are whitespace.",
         example="SELECT whitespace_ratio('a b ')  -- 0.5")
def whitespace_ratio(text):
    return _char_ratio(text, str.isspace)


def _special(ch: str) -> bool:
    return not (ch.isalnum() or ch.isspace())


@rowwise("special_char_ratio", params=TEXT, returns="double", kind="filter", modality="text",
         description="Share of all characters that are neither letters, digits nor whitespace "
                     "(punctuation, symbols, emoji): markup residue and spam score high.",
         example="SELECT special_char_ratio('a#b$')  -- 0.5")
def special_char_ratio(text):
    return _char_ratio(text, _special)


@rowwise("non_ascii_ratio", params=TEXT, returns="double", kind="filter", modality="text",
         description="Share of all characters outside ASCII.",
         example="SELECT non_ascii_ratio('naïve')  -- 0.2")
def non_ascii_ratio(text):
    return _char_ratio(text, lambda ch: ord(ch) > 127)


N_PARAM = Param("n", "int", literal=True, default=10, doc="n-gram length")


def _check_n(fn):
    return lambda n: bounded(fn, "n", n, 1, 100)


@rowwise("char_repetition_ratio", params=TEXT + [N_PARAM], returns="double", kind="filter", modality="text",
         check=_check_n("char_repetition_ratio"),
         description="Data-Juicer's character repetition: of the character n-grams, the share covered by the "
                     "most frequent √(distinct n-grams) ones that occur more than once. Repeated boilerplate "
                     "scores high; 0 for text shorter than n.",
         example="SELECT char_repetition_ratio('abcabcabcabcabcabc', 3)")
def char_repetition_ratio(text, n):
    grams = [text[i:i + n] for i in range(len(text) - n + 1)]
    if not grams:
        return 0.0
    counts = sorted((c for c in Counter(grams).values()), reverse=True)
    top = int(math.sqrt(len(counts)))
    return _ratio(sum(c for c in counts[:top] if c > 1), len(grams))


@rowwise("word_repetition_ratio", params=TEXT + [Param("n", "int", literal=True, default=5, doc="n-gram length")],
         returns="double", kind="filter", modality="text", check=_check_n("word_repetition_ratio"),
         description="Share of the word n-grams (lower-cased) that occur more than once: Gopher's duplicate "
                     "n-gram fraction, counted in n-grams. 0 when the text has fewer than n words.",
         example="SELECT word_repetition_ratio('buy now buy now buy now', 2)")
def word_repetition_ratio(text, n):
    w = [x.lower() for x in words(text)]
    grams = [tuple(w[i:i + n]) for i in range(len(w) - n + 1)]
    if not grams:
        return 0.0
    counts = Counter(grams)
    return _ratio(sum(c for c in counts.values() if c > 1), len(grams))


@rowwise("unique_word_ratio", params=TEXT, returns="double", kind="filter", modality="text",
         description="Distinct words / words (lower-cased type-token ratio): low for repetitive text.",
         example="SELECT unique_word_ratio('the cat and the hat')  -- 0.8")
def unique_word_ratio(text):
    w = [x.lower() for x in words(text)]
    return _ratio(len(set(w)), len(w))


@rowwise("char_entropy", params=TEXT, returns="double", kind="filter", modality="text",
         description="Shannon entropy of the character distribution in bits per character: 0 for one repeated "
                     "character, ~4 for English prose, high for random strings.",
         example="SELECT char_entropy('aaaa'), char_entropy('abcd')  -- 0.0, 2.0")
def char_entropy(text):
    if not text:
        return 0.0
    n = len(text)
    return max(0.0, -sum(c / n * math.log2(c / n) for c in Counter(text).values()))


@lru_cache(maxsize=64)
def stopword_set(lang: str) -> frozenset:
    import stopwordsiso

    if not stopwordsiso.has_lang(lang):
        raise FunctionError(f"stopword_ratio: no stop-word list for language {lang!r} "
                            f"(ISO 639-1 codes such as 'en', 'de', 'fr', 'zh')")
    return frozenset(w.lower() for w in stopwordsiso.stopwords(lang))


LANG = Param("lang", "string", literal=True, default="en", doc="ISO 639-1 code")


@rowwise("stopword_ratio", params=TEXT + [LANG], returns="double", kind="filter", modality="text",
         check=lambda lang: stopword_set(str(lang)), model="stopwords-iso lists (stopwordsiso package, 57 languages)",
         description="Share of words that are stop words of the language: natural prose has many (Gopher "
                     "requires at least 2 of a short English list); keyword spam and tables have few.",
         example="SELECT id, stopword_ratio(body) FROM demo.media.articles")
def stopword_ratio(text, lang):
    w = [x.lower() for x in words(text)]
    stop = stopword_set(str(lang))
    return _ratio(sum(x in stop for x in w), len(w))


@lru_cache(maxsize=1)
def flagged_words() -> frozenset:
    from importlib.resources import files

    listing = files("better_profanity").joinpath("profanity_wordlist.txt").read_text(encoding="utf-8")
    return frozenset(w.strip().lower() for w in listing.splitlines() if w.strip())


@rowwise("flagged_word_ratio", params=TEXT, returns="double", kind="filter", modality="text",
         model="English profanity word list of the better-profanity package",
         description="Share of words (and two-word phrases) on an English list of profane and sexual words "
                     "(Data-Juicer's flagged-words filter); English only.",
         example="SELECT id FROM demo.media.articles WHERE flagged_word_ratio(body) = 0")
def flagged_word_ratio(text):
    w = [x.lower() for x in words(text)]
    flagged = flagged_words()
    hits = sum(x in flagged for x in w) + sum(f"{a} {b}" in flagged for a, b in zip(w, w[1:]))
    return _ratio(hits, len(w))


_BULLET = re.compile(r"^\s*(?:[-*•·▪‣◦–—>]|\d+[.)])\s+")


@rowwise("bullet_line_ratio", params=TEXT, returns="double", kind="filter", modality="text",
         description="Share of non-empty lines that start with a bullet (-, *, •, numbered items): Gopher "
                     "drops documents with more than 90%.",
         example="SELECT bullet_line_ratio('- a\\n- b\\ntext')  -- 0.666…")
def bullet_line_ratio(text):
    lines = _lines(text)
    return _ratio(sum(bool(_BULLET.match(line)) for line in lines), len(lines))


@rowwise("ellipsis_line_ratio", params=TEXT, returns="double", kind="filter", modality="text",
         description="Share of non-empty lines that end with an ellipsis (... or …): truncated teasers. "
                     "Gopher drops documents with more than 30%.",
         example="SELECT ellipsis_line_ratio('Read more...\\nFull line.')  -- 0.5")
def ellipsis_line_ratio(text):
    lines = _lines(text)
    return _ratio(sum(line.endswith(("...", "…")) for line in lines), len(lines))


@rowwise("terminal_punct_ratio", params=TEXT, returns="double", kind="filter", modality="text",
         description="Share of non-empty lines that end with terminal punctuation (. ! ? \" or their CJK "
                     "forms), as C4 keeps only such lines: menus and lists score low.",
         example="SELECT terminal_punct_ratio('A sentence.\\nHome | About')  -- 0.5")
def terminal_punct_ratio(text):
    lines = _lines(text)
    return _ratio(sum(line.endswith((".", "!", "?", '"', "”", "。", "！", "？")) for line in lines), len(lines))


@rowwise("symbol_word_ratio", params=TEXT, returns="double", kind="filter", modality="text",
         description="Hash signs and ellipses per word (Gopher drops documents above 0.1).",
         example="SELECT symbol_word_ratio('#tag #tag2 hello')  -- 0.666…")
def symbol_word_ratio(text):
    symbols = text.count("#") + text.count("...") + text.count("…")
    return _ratio(symbols, len(words(text)))


@rowwise("link_ratio", params=TEXT, returns="double", kind="filter", modality="text",
         description="Share of the characters that belong to URLs and e-mail addresses: link farms score high.",
         example="SELECT link_ratio('see https://example.com')")
def link_ratio(text):
    covered = bytearray(len(text))  # a character inside both a URL and an e-mail address counts once
    for pattern in (URL, EMAIL):
        for m in pattern.finditer(text):
            covered[m.start():m.end()] = b"\1" * (m.end() - m.start())
    return _ratio(sum(covered), len(text))


_CODE_LINE = re.compile(r"[;{}]\s*$|^\s*(def|class|import|from|return|if|for|while|function|const|let|var|public|"
                        r"private|#include|SELECT|INSERT|CREATE)\b|=>|==|!=|\)\s*\{|^\s*[}\])];?\s*$")


@rowwise("code_ratio", params=TEXT, returns="double", kind="filter", modality="text",
         description="Share of non-empty lines that look like source code (end in ; { or }, start with a "
                     "keyword such as def/class/import/function/return, or contain => == !=): separates code "
                     "from prose.",
         example="SELECT code_ratio('def f(x):\\n    return x;\\nHello there.')  -- 0.666…")
def code_ratio(text):
    lines = _lines(text)
    return _ratio(sum(bool(_CODE_LINE.search(line)) for line in lines), len(lines))


@lru_cache(maxsize=1)
def _hyphenator():
    import pyphen

    return pyphen.Pyphen(lang="en_US")


def syllables(word: str) -> int:
    """Syllables of an English word: pyphen's (Hunspell dictionary) hyphenation points + 1."""
    return max(1, len(_hyphenator().positions(word)) + 1)


@rowwise("readability", params=TEXT,
         returns="struct<flesch_reading_ease double, flesch_kincaid_grade double, gunning_fog double, "
                 "smog_index double, coleman_liau_index double, automated_readability_index double>",
         kind="filter", modality="text", model="published formulas; syllables from pyphen's English "
                                                "hyphenation dictionary (bundled)",
         description="Readability formulas for English: Flesch reading ease (higher is easier, 60–70 is plain "
                     "English), Flesch–Kincaid grade, Gunning fog, SMOG, Coleman–Liau and ARI (school grades). "
                     "NULL for text without words.",
         example="SELECT id, readability(body).flesch_reading_ease FROM demo.media.articles")
def readability(text):
    w = [x for x in words(text) if any(ch.isalpha() for ch in x)]
    if not w:
        return None
    n_words, n_sent = len(w), max(1, len(sentences(text)))
    syl = [syllables(x) for x in w]
    poly = sum(s >= 3 for s in syl)
    letters = sum(ch.isalpha() for x in w for ch in x)
    chars = sum(len(x) for x in w)
    wps, spw = n_words / n_sent, sum(syl) / n_words
    return {"flesch_reading_ease": 206.835 - 1.015 * wps - 84.6 * spw,
            "flesch_kincaid_grade": 0.39 * wps + 11.8 * spw - 15.59,
            "gunning_fog": 0.4 * (wps + 100.0 * poly / n_words),
            "smog_index": 1.043 * math.sqrt(poly * 30.0 / n_sent) + 3.1291,
            "coleman_liau_index": 0.0588 * (100.0 * letters / n_words) - 0.296 * (100.0 * n_sent / n_words) - 15.8,
            "automated_readability_index": 4.71 * chars / n_words + 0.5 * wps - 21.43}


@rowwise("reading_time_s", params=TEXT + [Param("wpm", "int", literal=True, default=200, doc="words per minute")],
         returns="double", kind="filter", modality="text",
         check=lambda wpm: bounded("reading_time_s", "wpm", wpm, 1, 10_000),
         description="Estimated reading time in seconds at wpm words per minute.",
         example="SELECT id, reading_time_s(body) FROM demo.media.articles")
def reading_time_s(text, wpm):
    return len(words(text)) * 60.0 / wpm


_LANGID = {}


def _identifier():
    if "id" not in _LANGID:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _LANGID["id"] = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _LANGID["id"]


@rowwise("language_scores", params=TEXT + [Param("k", "int", literal=True, default=3, doc="how many languages")],
         returns="array<struct<language string, probability double>>", kind="filter", modality="text",
         check=lambda k: bounded("language_scores", "k", k, 1, 97), model="langid.py model (py3langid package, bundled)",
         description="The k most likely languages (ISO 639-1) with their probabilities, most likely first: "
                     "filter on confidence with language_scores(t)[0].probability; empty for text without letters.",
         example="SELECT language_scores('Das ist ein kleines Haus', 2)[0]")
def language_scores(text, k):
    if not any(ch.isalpha() for ch in text):
        return []
    ranked = _identifier().rank(text)[:k]
    return [{"language": lang, "probability": float(p)} for lang, p in ranked]


# Gopher (Rae et al. 2021, appendix A) and C4 rules, the thresholds of the papers.
_RULES = [
    ("too_few_words", lambda s: s["words"] < s["min_words"]),
    ("too_many_words", lambda s: s["words"] > 100_000),
    ("mean_word_length", lambda s: not 3 <= s["mean_word_len"] <= 10),
    ("symbol_word_ratio", lambda s: s["symbol_word_ratio"] > 0.1),
    ("bullet_lines", lambda s: s["bullet_line_ratio"] > 0.9),
    ("ellipsis_lines", lambda s: s["ellipsis_line_ratio"] > 0.3),
    ("alpha_words", lambda s: s["alpha_word_ratio"] < 0.8),
    ("stop_words", lambda s: s["stopwords"] < 2),
    ("repeated_lines", lambda s: s["dup_line_ratio"] > 0.3),
    ("repeated_ngrams", lambda s: s["word_repetition_ratio"] > 0.2),
    ("boilerplate", lambda s: s["boilerplate"]),
]
_GOPHER_STOP = {"the", "be", "to", "of", "and", "that", "have", "with"}


@rowwise("text_quality", params=TEXT + [Param("min_words", "int", literal=True, default=50)],
         returns="struct<passed boolean, failed array<string>, words int, mean_word_len double, "
                 "alpha_word_ratio double, stopwords int, dup_line_ratio double, word_repetition_ratio double, "
                 "symbol_word_ratio double, bullet_line_ratio double, ellipsis_line_ratio double>",
         kind="filter", modality="text", check=lambda min_words: bounded("text_quality", "min_words", min_words, 0, 10**6),
         description="Gopher's quality rules in one call (for English prose): passed, the names of the rules that "
                     "failed (too_few_words < min_words, too_many_words > 100k, mean_word_length outside 3–10, "
                     "symbol_word_ratio > 0.1, bullet_lines > 90%, ellipsis_lines > 30%, alpha_words < 80% of "
                     "words with a letter, stop_words < 2 of the, be, to, of, and, that, have, with, "
                     "repeated_lines > 30%, repeated_ngrams: word_repetition_ratio(…, 5) > 0.2, boilerplate: "
                     "lorem ipsum or a curly bracket), and the signals.",
         example="SELECT id, text_quality(body, min_words => 10).failed FROM demo.media.articles")
def text_quality(text, min_words):
    w = words(text)
    lines = _lines(text)
    signals = {
        "words": len(w),
        "mean_word_len": avg_word_length(text),
        "alpha_word_ratio": _ratio(sum(any(ch.isalpha() for ch in x) for x in text.split()), len(text.split())),
        "stopwords": sum(x.lower() in _GOPHER_STOP for x in w),
        "dup_line_ratio": _ratio(len(lines) - len(set(lines)), len(lines)),
        "word_repetition_ratio": word_repetition_ratio(text, 5),
        "symbol_word_ratio": symbol_word_ratio(text),
        "bullet_line_ratio": bullet_line_ratio(text),
        "ellipsis_line_ratio": ellipsis_line_ratio(text),
    }
    checks = dict(signals, min_words=min_words, boilerplate="lorem ipsum" in text.lower() or "{" in text)
    failed = [name for name, rule in _RULES if rule(checks)]
    return {"passed": not failed, "failed": failed, **signals}


@rowwise("find_pii", params=TEXT,
         returns="array<struct<kind string, text string, start int, end int>>", kind="extract", modality="text",
         description="Personal data found in the text with its kind (email, phone, card, iban, ip, id — the "
                     "same detectors as mask_pii) and character offsets [start, end), in order.",
         example="SELECT find_pii('Mail ann@example.com or call +44 20 7946 0958')")
def find_pii(text):
    from .text import find_pii as found

    return found(text)
