"""Clean and filter functions on text, called as the engine calls them (Arrow in, Arrow out)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from lakelens.udfs import FUNCTIONS, evaluate


def call(name, *values, **options):
    return evaluate(name, options, "raise", *[pa.array(v) for v in values]).to_pylist()


def test_clean_text_normalises_unicode_controls_and_whitespace():
    out = call("clean_text", ["Ｈｅｌｌｏ\u200b   wor\x00ld\t!\r\n\r\n\r\n\r\n  next  line  ", "ﬁne", None])
    assert out == ["Hello world !\n\nnext line", "fine", None]


def test_strip_html_keeps_text_drops_scripts_and_decodes_entities():
    html = ("<html><head><title>T</title><style>p{}</style></head><body><h1>Fish &amp; chips</h1>"
            "<p>Price:&nbsp;3&euro;</p><script>alert(1)</script><ul><li>one</li><li>two</li></ul></body></html>")
    assert call("strip_html", [html]) == ["Fish & chips\n\nPrice: 3€\n\none\n\ntwo"]
    assert call("strip_html", ["no tags at all"]) == ["no tags at all"]
    assert call("strip_html", ["<code>&amp;lt;p&amp;gt;</code>"]) == ["&lt;p&gt;"]  # decoded once, not twice


def test_mask_pii_replaces_each_kind_and_leaves_ordinary_numbers():
    text = ("Mail ann.lee+x@example.co.uk, call +44 20 7946 0958 or (555) 123-4567; card 4111 1111 1111 1111; "
            "SSN 123-45-6789; IBAN DE89 3704 0044 0532 0130 00; host 192.168.10.4. "
            "In 2024 we sold 12345 units, order 4111 1111 1111 1112.")
    out = call("mask_pii", [text])[0]
    assert out == ("Mail <EMAIL>, call <PHONE> or <PHONE>; card <CARD>; SSN <ID>; IBAN <IBAN>; host <IP>. "
                   "In 2024 we sold 12345 units, order 4111 1111 1111 1112.")  # fails Luhn: not a card
    assert call("mask_pii", ["due 2024-01-15 or 15.01.2024"]) == ["due 2024-01-15 or 15.01.2024"]


def test_text_stats_scores():
    out = call("text_stats", ["spam line\nspam line\nGood text here 42", ""])
    first = out[0]
    assert first["chars"] == 37 and first["words"] == 8
    assert first["dup_line_ratio"] == pytest.approx(1 / 3)
    assert first["alpha_ratio"] == pytest.approx(28 / 30)  # 30 visible characters, 2 of them digits
    assert first["mean_word_len"] == pytest.approx(30 / 8)
    assert out[1] == {"chars": 0, "words": 0, "alpha_ratio": 0.0, "dup_line_ratio": 0.0, "mean_word_len": 0.0}


def test_detect_language_iso_codes():
    texts = ["The weather is lovely today and we are going to the beach.",
             "Das Wetter ist heute schön und wir gehen an den Strand.",
             "Il fait beau aujourd'hui et nous allons à la plage.",
             "Hoy hace buen tiempo y vamos a la playa con los niños.",
             "Сегодня хорошая погода, и мы идём на пляж.",
             "12345 !!!", None]
    assert call("detect_language", texts) == ["en", "de", "fr", "es", "ru", None, None]


def test_a_column_of_the_wrong_type_names_the_argument():
    from lakelens.udfs import FunctionError

    with pytest.raises(FunctionError, match="ocr: argument image must be BINARY, got string"):
        call("ocr", ["not bytes"])


def test_every_spec_is_complete_and_gpu_class_is_declared():
    for name, spec in FUNCTIONS.items():
        assert spec.description and name in spec.example.lower(), name
        assert spec.kind in ("extract", "clean", "filter", "dedup", "embed")
    gpu = {n for n, s in FUNCTIONS.items() if s.device == "gpu"}
    assert gpu == {"embed_text", "embed_image", "embed_clip_text", "transcribe", "transcribe_segments", "spoken_language"}
