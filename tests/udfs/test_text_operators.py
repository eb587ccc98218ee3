"""The text operators (clean, signals, extraction), called as the engine calls them: Arrow in, Arrow out."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from lakelens.udfs import FUNCTIONS, FunctionError, evaluate

README = Path(__file__).resolve().parents[2] / "README.md"


def call(name, *values, **options):
    return evaluate(name, options, "raise", *[pa.array(v) for v in values]).to_pylist()


def one(name, value, **options):
    return call(name, [value], **options)[0]


def test_the_library_has_over_a_hundred_functions_each_documented_in_the_readme():
    from lakelens.udfs.reference import markdown

    assert len(FUNCTIONS) >= 100
    readme = README.read_text()
    assert markdown() in readme, "README's function reference is stale: python -m lakelens.udfs.reference README.md"
    for name, spec in FUNCTIONS.items():
        assert spec.description and spec.example and name in spec.example, name


def test_unicode_repairs():
    assert one("fix_text", "The Mona Lisa doesnÃ¢â‚¬â„¢t have eyebrows.") == "The Mona Lisa doesn't have eyebrows."
    assert one("fix_text", "plain text stays") == "plain text stays"
    assert one("normalize_unicode", "ﬁne Ｔｅｘｔ") == "fine Text"
    assert one("normalize_unicode", "é", form="NFD") == "e\u0301"
    with pytest.raises(FunctionError, match="normalize_unicode: form must be NFC, NFD, NFKC or NFKD, got 'XYZ'"):
        one("normalize_unicode", "x", form="XYZ")
    assert one("normalize_punctuation", "“Hello” — it’s…") == "\"Hello\" - it's..."
    assert one("normalize_whitespace", "a\u00a0\u00a0b\t c\u200b\r\nnext \u3000") == "a b c\nnext"
    assert one("normalize_whitespace", "👨\u200d👩\u200d👧 می\u200cخواهم") == "👨\u200d👩\u200d👧 می\u200cخواهم"
    assert one("strip_accents", "Crème brûlée à São Paulo, Straße") == "Creme brulee a Sao Paulo, Straße"


def test_removers_keep_the_rest_of_the_text():
    assert one("remove_emails", "Write to ann.lee+x@example.co.uk today") == "Write to today"
    assert one("remove_emails", "Write to ann@example.com", replacement="[email]") == "Write to [email]"
    assert one("remove_links", "See https://example.com/a?b=1. Or www.test.org!") == "See. Or!"
    assert one("extract_urls", "Docs at https://lakelens.dev/docs, and www.example.org.") == \
        ["https://lakelens.dev/docs", "www.example.org"]
    assert one("extract_emails", "ann@example.com, bob@example.org; not@home") == ["ann@example.com", "bob@example.org"]
    assert one("remove_copyright", "/* Copyright 2024 ACME\n * All rights reserved */\nint main() {}") == "int main() {}"
    assert one("remove_copyright", "# Copyright 2024 ACME\n# MIT License\nimport os\n") == "import os\n"
    assert one("remove_copyright", "# a normal comment\nx = 1") == "# a normal comment\nx = 1"
    assert one("remove_emoji", "Great job 👍🏽 see you 🇩🇪! 👨‍👩‍👧") == "Great job see you!"
    assert one("strip_markdown", "# Title\n\nSome **bold** [link](http://x.y) `code`.\n\n- one\n- two") == \
        "Title\n\nSome bold link code.\n\none\n\ntwo"
    assert one("remove_repeated_lines", "Menu\nStory one\n  Menu\nStory two\n\n\n") == "Menu\nStory one\nStory two\n\n\n"  # blank lines kept
    assert one("remove_repeated_sentences", "Buy now. Great price. buy NOW! Free shipping.") == \
        "Buy now. Great price. Free shipping."
    assert one("remove_long_words", "ok " + "a" * 30 + " fine, " + "b" * 20 + ".", max_len=20) == "ok fine, " + "b" * 20 + "."
    assert one("remove_boilerplate", "Real news here.\nThis site uses cookies.\n© 2024 All rights reserved.\nMore news.") \
        == "Real news here.\nMore news."


def test_chunk_text_keeps_units_whole_bounded_and_overlapping():
    body = ("The city council approved the new cycling lanes. The vote was close. Work starts in May. "
            "It should last a year. Residents welcomed the plan.")
    chunks = one("chunk_text", body, max_chars=60, overlap=25)
    assert all(len(c) <= 60 for c in chunks) and len(chunks) >= 3
    assert chunks[0] == "The city council approved the new cycling lanes."
    # whole sentences; a chunk repeats its predecessor's last sentence when that fits in the overlap
    assert all(c.endswith(".") for c in chunks)
    for a, b in zip(chunks, chunks[1:]):
        last = a.rsplit(". ", 1)[-1]
        assert b.startswith(last) if len(last) <= 25 else not b.startswith(last), (a, b)
    assert any(b.startswith(a.rsplit(". ", 1)[-1]) for a, b in zip(chunks, chunks[1:]))
    words = one("chunk_text", "one two three four five six", max_chars=9, by="word")
    assert words == ["one two", "three", "four five", "six"]
    assert one("chunk_text", "abcdefghij", max_chars=4, overlap=1, by="char") == ["abcd", "defg", "ghij"]
    assert one("chunk_text", "a\n\nb b\n\nc", max_chars=6, by="paragraph") == ["a\n\nb b", "c"]
    assert one("chunk_text", "x" * 25, max_chars=10) == ["x" * 10, "x" * 10, "x" * 5]  # too long: cut
    with pytest.raises(FunctionError, match="chunk_text: overlap must be between 0 and 5, got 10"):
        one("chunk_text", "abc", max_chars=10, overlap=10)
    with pytest.raises(FunctionError, match="chunk_text: by must be"):
        one("chunk_text", "abc", by="token")


def test_counts_and_ratios_follow_their_definitions():
    text = "The cat sat on the mat. It was sunny!\n- see https://x.org #tag...\n\nLAST LINE 42"
    assert one("word_count", "don't stop-me now") == 4
    assert one("line_count", text) == 3
    assert one("sentence_count", "One. Two! Three? And four") == 4
    assert one("split_sentences", "It costs $5.99 at example.com today. See (note.) Done. 你好。再见！") == \
        ["It costs $5.99 at example.com today.", "See (note.)", "Done.", "你好。", "再见！"]
    assert one("avg_line_length", "ab\n\nabcd") == 3.0
    assert one("max_line_length", "ab\nabcd  ") == 4
    assert one("avg_word_length", "the cat sat") == 3.0
    assert one("alnum_ratio", "ab12!!") == pytest.approx(4 / 6)
    assert one("digit_ratio", "ab12") == 0.5
    assert one("uppercase_ratio", "ABCd 1") == 0.75
    assert one("whitespace_ratio", "a b ") == 0.5
    assert one("special_char_ratio", "a#b$") == 0.5
    assert one("non_ascii_ratio", "naïve") == pytest.approx(0.2)
    assert one("unique_word_ratio", "the cat and THE hat") == 0.8
    assert one("char_entropy", "aaaa") == 0.0 and one("char_entropy", "abcd") == 2.0
    assert one("bullet_line_ratio", "- a\n* b\n1. c\ntext") == 0.75
    assert one("ellipsis_line_ratio", "Read more...\nFull line.\nTeaser…") == pytest.approx(2 / 3)
    assert one("terminal_punct_ratio", "A sentence.\nHome | About\n\"Quoted.\"") == pytest.approx(2 / 3)
    assert one("symbol_word_ratio", "#tag #tag2 hello") == pytest.approx(2 / 3)
    assert one("link_ratio", "see https://example.com") == pytest.approx(19 / 23)
    assert one("link_ratio", "http://ann@example.com") == 1.0  # an e-mail inside a URL counts once
    assert one("code_ratio", "def f(x):\n    return x;\nHello there.") == pytest.approx(2 / 3)
    assert call("word_count", ["", None]) == [0, None]


def test_repetition_signals_separate_spam_from_prose():
    spam = "buy now buy now buy now buy now"
    prose = "Researchers found that the lake water quality improved steadily over the last five summers."
    assert one("word_repetition_ratio", spam, n=2) == 1.0
    assert one("word_repetition_ratio", prose, n=2) == 0.0
    assert one("word_repetition_ratio", "too short", n=5) == 0.0
    assert one("char_repetition_ratio", "Visit our shop now! " * 8, n=10) > 0.2
    assert one("char_repetition_ratio", prose, n=10) == 0.0
    with pytest.raises(FunctionError, match="char_repetition_ratio: n must be between 1 and 100, got 0"):
        one("char_repetition_ratio", "x", n=0)


def test_word_list_signals():
    assert one("stopword_ratio", "the cat is on the mat") == pytest.approx(4 / 6)
    assert one("stopword_ratio", "der Hund und die Katze", lang="de") == pytest.approx(3 / 5)
    with pytest.raises(FunctionError, match="no stop-word list for language 'xx'"):
        one("stopword_ratio", "x", lang="xx")
    assert one("flagged_word_ratio", "a clean and friendly sentence") == 0.0
    assert one("flagged_word_ratio", "what the fuck is this shit") == pytest.approx(2 / 6)


def test_readability_orders_easy_and_hard_english():
    easy = one("readability", "The cat sat on the mat. The dog ran to the sun. We had fun.")
    hard = one("readability", "Notwithstanding considerable methodological heterogeneity, the investigators "
                              "systematically characterised multidimensional socioeconomic determinants.")
    assert easy["flesch_reading_ease"] > 90 > 20 > hard["flesch_reading_ease"]
    assert easy["flesch_kincaid_grade"] < 3 < 15 < hard["flesch_kincaid_grade"]
    assert all(easy[k] < hard[k] for k in ("gunning_fog", "smog_index", "coleman_liau_index",
                                           "automated_readability_index"))
    assert one("readability", "123 !!!") is None
    assert one("reading_time_s", " ".join(["word"] * 100), wpm=200) == 30.0


def test_language_scores_rank_with_probabilities():
    scores = one("language_scores", "Das Wetter ist heute schön und wir gehen an den Strand.", k=2)
    assert [s["language"] for s in scores][:1] == ["de"] and len(scores) == 2
    assert 0.9 < scores[0]["probability"] <= 1.0 and scores[1]["probability"] < 0.1
    assert one("language_scores", "1234 !!") == []


def test_text_quality_names_the_rules_that_failed():
    prose = ("The council met on Tuesday to discuss the plan that the residents have asked for. "
             "It agreed with the proposal and the work will start in the spring of next year, with the new "
             "lanes opening to cyclists and walkers by the end of the summer.")
    good = one("text_quality", prose, min_words=30)
    assert good["passed"] and good["failed"] == [] and good["stopwords"] >= 2
    assert one("text_quality", prose + " " + prose, min_words=30)["failed"] == ["repeated_ngrams"]
    bad = one("text_quality", "#deal #sale #promo ...\n#deal #sale #promo ...\n#deal #sale #promo ...")
    assert not bad["passed"]
    assert {"too_few_words", "symbol_word_ratio", "ellipsis_lines", "repeated_lines", "stop_words"} <= set(bad["failed"])
    assert "boilerplate" in one("text_quality", "Lorem ipsum dolor sit amet, the and that to of be")["failed"]


def test_find_pii_gives_kinds_and_offsets_and_mask_pii_agrees():
    text = "Mail ann@example.com or call +44 20 7946 0958; card 4111 1111 1111 1111; host 10.0.0.1"
    found = one("find_pii", text)
    assert [(f["kind"], f["text"]) for f in found] == [("email", "ann@example.com"), ("phone", "+44 20 7946 0958"),
                                                      ("card", "4111 1111 1111 1111"), ("ip", "10.0.0.1")]
    assert all(text[f["start"]:f["end"]] == f["text"] for f in found)
    assert one("mask_pii", text) == "Mail <EMAIL> or call <PHONE>; card <CARD>; host <IP>"


def bits_of(a, b):
    return bin((a ^ b) & (2**64 - 1)).count("1")


def test_simhash_keeps_near_duplicates_close():
    from lakelens.engine.cli.demo import ARTICLES

    body = dict(ARTICLES)
    h = dict(zip(body, call("simhash", list(body.values()), ngram=1)))

    def bits(a, b):
        return bin((h[a] ^ h[b]) & (2**64 - 1)).count("1")

    near = [bits(1, 101), bits(2, 102), bits(7, 103)]
    far = [bits(a, b) for a in range(1, 9) for b in range(a + 1, 9)]
    assert max(near) <= 6 and min(far) >= 17  # word unigrams: these are two-sentence articles
    long_a = " ".join(body[i] for i in range(1, 9))
    long_b = long_a.replace("Tuesday", "Monday").replace("last", "past")
    shuffled = " ".join(reversed(long_a.split()))  # the same words, no trigram in common
    h_a = one("simhash", long_a)  # word trigrams (the default) on a longer text
    assert bits_of(h_a, one("simhash", long_b)) <= 10 and bits_of(h_a, one("simhash", shuffled)) >= 20
    assert call("simhash", ["", " ?! "]) == [None, None]


def test_vector_functions():
    assert call("dot_product", [[1.0, 2.0], None], [[3.0, 4.0], [1.0, 1.0]]) == [11.0, None]
    assert call("euclidean_distance", [[0.0, 0.0]], [[3.0, 4.0]]) == [5.0]
    out = call("vector_normalize", [[3.0, 4.0], [0.0, 0.0], None])
    assert out[0] == pytest.approx([0.6, 0.8]) and out[1:] == [None, None]
    with pytest.raises(FunctionError, match="euclidean_distance: vectors must have the same length"):
        call("euclidean_distance", [[1.0]], [[1.0, 2.0]])
