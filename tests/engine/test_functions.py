"""Multimodal functions in SQL through the embedded engine: every clause, try_ forms, errors,
SHOW/DESCRIBE FUNCTION, and the dedup table functions on corpora with planted duplicates."""

from __future__ import annotations

import os
import random

import pytest

from lakelens.catalog import LakelensError

from ..conftest import rows
from ..media import cer, picture, speak_wav, text_image, variant

TEXTS = {"a.png": "INVOICE 2041 TOTAL 318 EUR", "b.png": "MEMO MEET AT NOON", "c.png": "POSTER LAKELENS SQL"}


@pytest.fixture
def scans(fresh, files_dir):
    for name, text in TEXTS.items():
        (files_dir / name).write_bytes(text_image(text))
    fresh.sql("CREATE VOLUME scans")
    fresh.sql(f"PUT '{files_dir}/' INTO '/Volumes/{fresh.current_catalog}/default/scans/'")
    return fresh


def test_ocr_in_select_where_group_by_and_join_keeps_the_written_column_name(scans):
    s = scans
    out = s.sql("SELECT name, ocr(content) FROM scans ORDER BY name")
    assert out.column_names == ["name", "ocr(content)"]
    assert rows(out) == sorted(TEXTS.items())
    assert rows(s.sql("SELECT name FROM scans WHERE ocr(content) LIKE 'MEMO%'")) == [("b.png",)]
    grouped = s.sql("SELECT split(ocr(content), ' ')[0] AS word, count(*) AS n FROM scans "
                    "GROUP BY split(ocr(content), ' ')[0] ORDER BY word")
    assert rows(grouped) == [("INVOICE", 1), ("MEMO", 1), ("POSTER", 1)]
    s.sql("CREATE TABLE expected (name STRING, text STRING)")
    s.sql("INSERT INTO expected VALUES ('x', 'MEMO MEET AT NOON'), ('y', 'NOT IN ANY IMAGE')")
    joined = s.sql("SELECT e.name, s.name FROM scans s JOIN expected e ON ocr(s.content) = e.text")
    assert rows(joined) == [("x", "b.png")]


def test_calls_in_ctas_insert_views_temp_views_and_nested(scans):
    s = scans
    s.sql("CREATE TABLE ocr_text AS SELECT name, ocr(content, 'eng') AS text FROM scans")
    s.sql("INSERT INTO ocr_text SELECT concat('copy_', name), lower(ocr(content)) FROM scans WHERE name = 'a.png'")
    assert rows(s.sql("SELECT text FROM ocr_text WHERE name LIKE 'copy_%'")) == [("invoice 2041 total 318 eur",)]
    s.sql("CREATE VIEW words AS SELECT name, text_stats(ocr(content)).words AS words FROM scans")
    assert rows(s.sql("SELECT name, words FROM words ORDER BY name")) == [("a.png", 5), ("b.png", 4), ("c.png", 3)]
    s.sql("CREATE TEMPORARY VIEW sims AS SELECT name, cosine_similarity(embed_text(ocr(content)), "
          "embed_text('an invoice with a total amount')) AS score FROM scans")
    best = rows(s.sql("SELECT name FROM sims ORDER BY score DESC LIMIT 1"))
    assert best == [("a.png",)]
    lineage = s.catalog.lineage_of(f"{s.current_catalog}.default.ocr_text")
    assert lineage["upstream"] == [f"{s.current_catalog}.default.scans"]
    # Lineage in Databricks' shapes: volume -> table -> view, with the functions on each edge.
    c = f"{s.current_catalog}.default"
    s.sql("CREATE TABLE word_counts AS WITH w AS (SELECT * FROM words) SELECT name AS file, words * 1 AS n FROM w")
    edges = {(r["source_table_full_name"], r["source_type"], r["target_table_full_name"], r["target_type"])
             for r in s.sql("SELECT * FROM system.access.table_lineage").to_pylist()}
    assert {(f"{c}.scans", "VOLUME", f"{c}.ocr_text", "TABLE"), (f"{c}.scans", "VOLUME", f"{c}.words", "VIEW"),
            (f"{c}.words", "VIEW", f"{c}.word_counts", "TABLE")} <= edges
    columns = {(r[0].rsplit(".", 1)[1], r[1], r[2].rsplit(".", 1)[1], r[3], r[4]) for r in rows(s.sql(
        "SELECT source_table_full_name, source_column_name, target_table_full_name, target_column_name, "
        "function_name FROM system.access.column_lineage"))}
    assert {("scans", "content", "ocr_text", "text", "ocr"), ("scans", "name", "ocr_text", "name", None),
            ("scans", "content", "words", "words", "ocr,text_stats"),
            ("words", "words", "word_counts", "n", None), ("words", "name", "word_counts", "file", None)} <= columns
    upstream = s.sql("DESCRIBE LINEAGE word_counts UPSTREAM DEPTH 2").to_pylist()
    assert [(r["depth"], r["source_table_full_name"], r["functions"]) for r in upstream] == [
        (1, f"{c}.words", None), (2, f"{c}.scans", "ocr, text_stats")]


def test_a_model_loads_once_per_python_worker_not_per_batch(scans):
    """With one row per Arrow batch, OCR still loads Tesseract's wrapper once per worker process:
    a probe UDF run afterwards in the (reused) workers reads each process's load counter."""
    from pyspark.sql.functions import udf

    s = scans
    s.sql("SET spark.sql.execution.arrow.maxRecordsPerBatch=1")
    s.sql("SET spark.sql.files.openCostInBytes=1")  # all three files in one partition: 3 batches, 1 task
    try:
        texts = rows(s.sql("SELECT ocr(content) FROM scans"))
    finally:
        s.sql("RESET spark.sql.execution.arrow.maxRecordsPerBatch")
        s.sql("RESET spark.sql.files.openCostInBytes")
    assert len(texts) == 3

    @udf("string")
    def probe(_):
        import os

        from lakelens.udfs import load_count

        return f"{os.getpid()}:{max([n for (fn, _), n in load_count.items() if fn == 'ocr'] or [0])}"

    seen = {r[0] for r in s.spark.range(0, 64, 1, 8).select(probe("id")).collect()}
    counts = {int(x.split(":")[1]) for x in seen}
    assert counts <= {0, 1} and 1 in counts, seen


def test_literal_options_are_folded_and_must_be_constants(scans):
    s = scans
    german = rows(s.sql("SELECT ocr(content, 'deu') AS t FROM scans WHERE name = 'b.png'"))[0][0]
    assert cer("MEMO MEET AT NOON", german) <= 0.1
    plan = rows(s.sql("EXPLAIN SELECT ocr(content, lang => 'deu'), ocr(content) FROM scans"))[0][0]
    assert "udf=ocr placement=spark device=cpu batch_size=16 actors=- lang='deu' as ll_ocr_" in plan
    assert "udf=ocr placement=spark device=cpu batch_size=16 actors=- as ll_ocr\n" in plan
    with pytest.raises(LakelensError, match="ocr: argument lang must be a constant, got name"):
        s.sql("SELECT ocr(content, name) FROM scans")
    with pytest.raises(LakelensError, match=r"ocr takes at most 3 argument\(s\), got 4"):
        s.sql("SELECT ocr(content, 'eng', 'tesseract', 'x') FROM scans")
    with pytest.raises(LakelensError, match=r"thumbnail: argument px must be INT, got 'big'"):
        s.sql("SELECT thumbnail(content, 'big') FROM scans")


def test_bad_files_fail_the_statement_with_the_reason_and_try_forms_return_null(scans, files_dir):
    s = scans
    bad = files_dir / "bad"
    bad.mkdir()
    (bad / "notes.png").write_bytes(b"not an image at all")
    (bad / "cut.png").write_bytes(text_image("CUT")[:300])
    (bad / "wrong.png").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")  # a WAV header named .png
    s.sql(f"PUT '{bad}/' INTO '/Volumes/{s.current_catalog}/default/scans/'")
    out = dict(rows(s.sql("SELECT name, try_ocr(content) FROM scans")))
    assert out == {**TEXTS, "notes.png": None, "cut.png": None, "wrong.png": None}
    with pytest.raises(LakelensError) as err:
        s.sql("SELECT name, ocr(content) FROM scans WHERE name = 'notes.png'")
    assert str(err.value) == "[FUNCTION_ERROR] ocr: input is not a decodable image (19 bytes)"
    # A failed write leaves catalog and table as they were.
    s.sql("CREATE TABLE texts AS SELECT name, try_ocr(content) AS text FROM scans")
    with pytest.raises(LakelensError, match=r"\[FUNCTION_ERROR\] ocr: "):
        s.sql("INSERT INTO texts SELECT name, ocr(content) FROM scans")
    assert rows(s.sql("SELECT count(*) FROM texts")) == [(6,)]
    assert rows(s.sql("SELECT count(*) FROM texts WHERE text IS NULL")) == [(3,)]
    with pytest.raises(LakelensError, match=r"\[FUNCTION_ERROR\] ocr: "):
        s.sql("CREATE TABLE never AS SELECT ocr(content) AS t FROM scans")
    assert "never" not in [r[1] for r in rows(s.sql("SHOW TABLES"))]


def test_transcribe_over_a_volume_of_speech(fresh, files_dir):
    spoken = {"one.wav": "open the window and turn on the light", "two.wav": "hello from the lakehouse"}
    for name, text in spoken.items():
        speak_wav(text, files_dir / name)
    fresh.sql("CREATE VOLUME talks")
    fresh.sql(f"PUT '{files_dir}/' INTO '/Volumes/{fresh.current_catalog}/default/talks/'")
    out = dict(rows(fresh.sql("SELECT name, lower(transcribe(content)) FROM talks")))
    assert "open the window" in out["one.wav"] and "hello from the lake" in out["two.wav"]
    info = rows(fresh.sql("SELECT audio_info(content).sample_rate FROM talks"))
    assert info == [(22050,), (22050,)]


def test_show_and_describe_functions(lake):
    listed = lake.sql("SHOW FUNCTIONS LIKE '*ocr*'")
    assert listed.column_names == ["function", "class", "modality", "device", "signature", "model"]
    names = [r[0] for r in rows(listed)]
    assert names == ["ocr", "ocr_words", "pdf_ocr", "try_ocr", "try_ocr_words", "try_pdf_ocr"]
    assert rows(listed)[0][1:5] == ("extract", "image", "cpu",
                                    "ocr(image BINARY [, lang STRING] [, engine STRING]) → STRING")
    every = [r[0] for r in rows(lake.sql("SHOW FUNCTIONS"))]
    assert {"transcribe", "embed_text", "dedup", "near_duplicates"} - set(every) == {"dedup", "near_duplicates"}
    # The library never shadows one of Spark's built-ins: a user's upper() or sentences() stays Spark's.
    assert not set(every) & {r[0] for r in rows(lake.sql("SHOW SYSTEM FUNCTIONS"))}
    desc = [r[0] for r in rows(lake.sql("DESCRIBE FUNCTION EXTENDED embed_text"))]
    assert "Device: gpu" in desc and any(line.startswith("Model: all-MiniLM-L6-v2") for line in desc)
    assert any(line.startswith("Config: udf.embed_text.model") for line in desc)
    assert any(line.startswith("Example: SELECT") for line in desc)
    builtin = [r[0] for r in rows(lake.sql("DESCRIBE FUNCTION upper"))]
    assert builtin[0] == "Function: upper"
    assert "upper" in [r[0] for r in rows(lake.sql("SHOW SYSTEM FUNCTIONS LIKE 'upp*'"))]


def test_explain_lists_each_multimodal_call(scans):
    plan = rows(scans.sql("EXPLAIN SELECT embed_text(ocr(content)), try_phash(content) FROM scans"))[0][0]
    assert "udf=ocr placement=spark device=cpu batch_size=16 actors=- as ll_ocr" in plan
    actors = min(4, os.cpu_count())  # CPU actors by default: one per CPU, at most 4
    assert f"udf=embed_text placement=ray device=cpu batch_size=64 actors=0..{actors} as ll_embed_text" in plan
    assert "udf=phash placement=spark device=cpu batch_size=256 actors=- on_error=null as ll_try_phash" in plan
    assert "ArrowEvalPython" in plan


def _corpus(n_docs=60, seed=11):
    """Documents of 60–100 words plus planted near-duplicates (a few words changed)."""
    rng = random.Random(seed)
    vocab = [f"{a}{b}" for a in "bcdfghklmnprst" for b in ("ap", "el", "ir", "on", "us", "ex", "ow")]
    docs, planted = [], set()
    for i in range(n_docs):
        docs.append((i, " ".join(rng.choice(vocab) for _ in range(rng.randrange(60, 100)))))
    next_id = 1000
    for i in range(0, n_docs, 6):  # every 6th document gets one or two edited copies
        for _ in range(1 + i % 2):
            words = docs[i][1].split()
            for _ in range(2):
                words[rng.randrange(len(words))] = rng.choice(vocab)
            docs.append((next_id, " ".join(words)))
            planted.add((i, next_id))
            next_id += 1
    copies = {}
    for a, b in planted:
        copies.setdefault(a, []).append(b)
    for group in copies.values():  # copies of the same original are duplicates of each other too
        if len(group) == 2:
            planted.add(tuple(sorted(group)))
    return docs, planted


def test_near_duplicates_and_dedup_find_the_planted_duplicates(fresh):
    docs, planted = _corpus()
    values = ", ".join(f"({i}, '{text}')" for i, text in docs)
    fresh.sql("CREATE TABLE docs (id INT, body STRING)")
    fresh.sql(f"INSERT INTO docs VALUES {values}")
    pairs = fresh.sql("SELECT id_a, id_b, similarity FROM near_duplicates(TABLE(docs), id => 'id', on => 'body', "
                      "method => 'minhash', threshold => 0.8) ORDER BY id_a, id_b")
    found = {(a, b) for a, b, _ in rows(pairs)}
    assert found == planted
    assert all(0.8 <= sim <= 1.0 for _, _, sim in rows(pairs))
    grouped = fresh.sql("SELECT id, dup_group, is_representative FROM dedup(TABLE(SELECT id, body FROM docs), "
                        "id => 'id', on => 'body') ORDER BY id")
    groups = {i: (g, rep) for i, g, rep in rows(grouped)}
    assert len(groups) == len(docs)
    for a, b in planted:
        assert groups[a][0] == groups[b][0] == min(a, b)
    assert sum(rep for _, rep in groups.values()) == len(docs) - len({b for _, b in planted})
    kept = rows(fresh.sql("SELECT count(*) FROM dedup(TABLE(docs), id => 'id', on => 'body') WHERE is_representative"))
    assert kept == [(60,)]


def test_dedup_by_phash_groups_resized_copies_of_pictures(fresh, files_dir):
    for seed in range(8):
        original = picture(seed)
        (files_dir / f"p{seed}.png").write_bytes(original)
        if seed % 3 == 0:
            (files_dir / f"p{seed}_small.jpg").write_bytes(variant(original, scale=0.5, quality=60))
    fresh.sql("CREATE VOLUME pics")
    fresh.sql(f"PUT '{files_dir}/' INTO '/Volumes/{fresh.current_catalog}/default/pics/'")
    out = rows(fresh.sql("SELECT name, dup_group, is_representative FROM dedup(TABLE(SELECT name, content FROM pics), "
                         "id => 'name', on => 'content', method => 'phash') ORDER BY name"))
    group = {name: g for name, g, _ in out}
    for seed in (0, 3, 6):
        assert group[f"p{seed}.png"] == group[f"p{seed}_small.jpg"]
    assert len(set(group.values())) == 8
    assert {name for name, _, rep in out if not rep} == {"p0_small.jpg", "p3_small.jpg", "p6_small.jpg"}


def test_dedup_by_exact_hash_simhash_and_dhash(fresh, files_dir):
    docs, planted = _corpus()
    copies = [(5000 + i, text) for i, text in docs[:3]]  # byte-identical copies of documents 0, 1, 2
    values = ", ".join(f"({i}, '{text}')" for i, text in docs + copies)
    fresh.sql("CREATE TABLE corpus (id INT, body STRING)")
    fresh.sql(f"INSERT INTO corpus VALUES {values}")
    exact = rows(fresh.sql("SELECT id, dup_group FROM dedup(TABLE(corpus), id => 'id', on => 'body', "
                           "method => 'exact') WHERE NOT is_representative ORDER BY id"))
    assert exact == [(5000, 0), (5001, 1), (5002, 2)]  # edited copies are not exact duplicates
    # Short documents (60–100 words, 2 words edited): word pairs and 12 bits (0.8125) separate
    # them here; the default (trigrams, 3 bits) suits web pages (bench/dedup.py measures it).
    pairs = {(a, b) for a, b in rows(fresh.sql(
        "SELECT id_a, id_b FROM near_duplicates(TABLE(corpus), id => 'id', on => 'body', method => 'simhash', "
        "ngram => 2, threshold => 0.8125)"))}
    family = {i: i for i, _ in docs} | {b: a for a, b in planted if a < 1000} | {5000 + i: i for i in range(3)}
    truth = {(a, b) for a in family for b in family if a < b and family[a] == family[b]}
    assert pairs == truth
    for seed in range(4):
        original = picture(seed)
        (files_dir / f"q{seed}.png").write_bytes(original)
        (files_dir / f"q{seed}_small.jpg").write_bytes(variant(original, scale=0.5, quality=60))
    fresh.sql("CREATE VOLUME qpics")
    fresh.sql(f"PUT '{files_dir}/' INTO '/Volumes/{fresh.current_catalog}/default/qpics/'")
    for method in ("dhash", "ahash"):
        out = rows(fresh.sql(f"SELECT name, dup_group FROM dedup(TABLE(SELECT name, content FROM qpics), "
                             f"id => 'name', on => 'content', method => '{method}')"))
        group = dict(out)
        assert all(group[f"q{s}.png"] == group[f"q{s}_small.jpg"] for s in range(4)), method
        assert len(set(group.values())) == 4, method
    with pytest.raises(LakelensError, match="method 'dhash' needs image bytes"):
        fresh.sql("SELECT * FROM dedup(TABLE(corpus), id => 'id', on => 'body', method => 'dhash')")


def test_near_duplicates_by_embedding_and_argument_errors(fresh):
    fresh.sql("CREATE TABLE s (id INT, t STRING)")
    fresh.sql("INSERT INTO s VALUES (1, 'The cat sleeps on the sofa.'), (2, 'The cat is sleeping on the sofa.'), "
              "(3, 'Quarterly revenue grew by ten percent.'), (4, 'Ship the gateway next week.')")
    pairs = rows(fresh.sql("SELECT id_a, id_b FROM near_duplicates(TABLE(s), id => 'id', on => 't', "
                           "method => 'embedding', threshold => 0.85)"))
    assert pairs == [(1, 2)]
    with pytest.raises(LakelensError, match=r"near_duplicates: on => 'nope' is not a column of the input"):
        fresh.sql("SELECT * FROM near_duplicates(TABLE(s), id => 'id', on => 'nope')")
    with pytest.raises(LakelensError, match="dedup: method must be one of minhash, exact, simhash, phash, dhash, "
                                            "ahash, embedding"):
        fresh.sql("SELECT * FROM dedup(TABLE(s), id => 'id', on => 't', method => 'magic')")
    with pytest.raises(LakelensError, match="method 'minhash' needs a STRING column; id is int"):
        fresh.sql("SELECT * FROM dedup(TABLE(s), id => 't', on => 'id')")


def test_groups_of_any_shape_converge(lake):
    """A revision chain whose ids zig-zag, a star and a clique: each becomes one group named by its
    smallest id (min-label propagation needs a round per hop on such chains)."""
    from lakelens.engine.table_functions import connected_components

    chain = [1] + list(range(200, 2, -1)) + [2]
    edges = list(zip(chain, chain[1:]))
    edges += [(1000, n) for n in range(1001, 1050)]
    edges += [(a, b) for a in range(2000, 2010) for b in range(a + 1, 2010)]
    edges += [(3001, 3005), (3002, 3003), (3003, 3004), (3004, 3005)]  # stopped early once: two groups
    pairs = lake.spark.createDataFrame([(min(a, b), max(a, b)) for a, b in edges], "id_a long, id_b long")
    labels = dict(connected_components(pairs).collect())
    assert {labels[n] for n in chain} == {1} and len(chain) == 200
    assert {labels[n] for n in range(1000, 1050)} == {1000}
    assert {labels[n] for n in range(2000, 2010)} == {2000}
    assert {labels[n] for n in range(3001, 3006)} == {3001}
    assert len(labels) == 200 + 50 + 10 + 5


def test_table_functions_inside_views(fresh):
    fresh.sql("CREATE TABLE notes (id INT, body STRING)")
    fresh.sql("INSERT INTO notes VALUES (1, 'meet at noon by the lake'), (2, 'meet at noon by the lake!'), (3, 'other')")
    fresh.sql("CREATE VIEW groups AS SELECT id, dup_group FROM dedup(TABLE(notes), id => 'id', on => 'body')")
    fresh.sql("CREATE TEMPORARY VIEW pairs AS SELECT * FROM near_duplicates(TABLE(notes), id => 'id', on => 'body')")
    assert rows(fresh.sql("SELECT id, dup_group FROM groups ORDER BY id")) == [(1, 1), (2, 1), (3, 3)]
    assert rows(fresh.sql("SELECT id_a, id_b FROM pairs")) == [(1, 2)]


def test_table_function_edge_cases(fresh):
    fresh.sql("CREATE TABLE t (id INT, body STRING, pic BIGINT)")
    fresh.sql("INSERT INTO t VALUES (1, '', 5), (2, ' \\n\\t ', 5), (3, 'same words here and there', -7), "
              "(4, 'same words here and there', -7), (5, NULL, NULL)")
    pairs = rows(fresh.sql("SELECT id_a, id_b FROM near_duplicates(TABLE(t), id => 'id', on => 'body')"))
    assert pairs == [(3, 4)]  # blank and NULL texts are nobody's duplicates
    exact = rows(fresh.sql("SELECT id_a, id_b, similarity FROM near_duplicates(TABLE(t), id => 'id', on => 'pic', "
                           "method => 'phash', threshold => 1.0) ORDER BY id_a"))
    assert exact == [(1, 2, 1.0), (3, 4, 1.0)]  # BIGINT hashes, negative ones too
    with pytest.raises(LakelensError, match="bands must be between 1 and num_perm \\(128\\), got 200"):
        fresh.sql("SELECT * FROM near_duplicates(TABLE(t), id => 'id', on => 'body', bands => 200)")
    with pytest.raises(LakelensError, match="bands must be between 1 and num_perm \\(64\\), got 100"):
        fresh.sql("SELECT * FROM near_duplicates(TABLE(t), id => 'id', on => 'body', num_perm => 64, bands => 100)")
    with pytest.raises(LakelensError, match="near_duplicates: threshold must be a number, got 'high'"):
        fresh.sql("SELECT * FROM near_duplicates(TABLE(t), id => 'id', on => 'body', threshold => 'high')")
    fresh.sql("INSERT INTO t VALUES (4, 'again', 1)")
    with pytest.raises(LakelensError, match="dedup: id => 'id' must identify rows, but 6 rows have only 5 distinct"):
        fresh.sql("SELECT * FROM dedup(TABLE(t), id => 'id', on => 'body')")


def test_chunks_and_vector_top_k_table_functions(fresh):
    fresh.sql("CREATE TABLE kb (id INT, body STRING)")
    fresh.sql("INSERT INTO kb VALUES (1, 'Invoices are due in thirty days. Late payments cost two percent.'), "
              "(2, 'The cat sleeps on the warm sofa all afternoon.'), (3, 'Trains to the coast leave every hour.')")
    chunks = rows(fresh.sql("SELECT id, chunk_index, chunk FROM chunks(TABLE(kb), on => 'body', max_chars => 40) "
                            "ORDER BY id, chunk_index"))
    assert chunks[:2] == [(1, 0, "Invoices are due in thirty days."), (1, 1, "Late payments cost two percent.")]
    assert {i for i, _, _ in chunks} == {1, 2, 3} and all(len(c) <= 40 for _, _, c in chunks)
    fresh.sql("CREATE TABLE kb_vectors AS SELECT c.id, c.chunk, embed_text(c.chunk) AS v "
              "FROM chunks(TABLE(SELECT id, body FROM kb), on => 'body', max_chars => 40) c")
    top = rows(fresh.sql("SELECT id, chunk, score FROM vector_top_k(TABLE(kb_vectors), column => 'v', "
                         "query => embed_text('when do I have to pay the bill?'), k => 2)"))
    assert [i for i, _, _ in top] == [1, 1] and top[0][2] >= top[1][2]  # both invoice sentences, best first
    near = rows(fresh.sql("SELECT id, distance FROM vector_top_k(TABLE(SELECT id, IF(id = 1, NULL, array(CAST(id AS FLOAT), "
                          "0.0F)) AS v FROM kb), column => 'v', query => array(2.9F, 0.0F), k => 1, metric => 'euclidean')"))
    assert near == [(3, pytest.approx(0.1, abs=1e-6))]  # a NULL vector is nobody's neighbour
    fresh.sql("CREATE VIEW kb_chunks AS SELECT id, chunk FROM chunks(TABLE(kb), on => 'body', max_chars => 40)")
    fresh.sql("CREATE TEMPORARY VIEW kb_top AS SELECT id FROM vector_top_k(TABLE(kb_vectors), column => 'v', "
              "query => embed_text('a sleepy cat'), k => 1)")
    assert rows(fresh.sql("SELECT count(*) FROM kb_chunks")) == [(len(chunks),)]
    assert rows(fresh.sql("SELECT id FROM kb_top")) == [(2,)]
    with pytest.raises(LakelensError, match="chunks: unknown argument\\(s\\) size"):
        fresh.sql("SELECT * FROM chunks(TABLE(kb), on => 'body', size => 3)")
    with pytest.raises(LakelensError, match="vector_top_k: needs query => <vector expression>"):
        fresh.sql("SELECT * FROM vector_top_k(TABLE(kb_vectors), column => 'v')")
    with pytest.raises(LakelensError, match="vector_top_k: k must be a constant int between 1 and 100000, got 0"):
        fresh.sql("SELECT * FROM vector_top_k(TABLE(kb_vectors), column => 'v', query => array(1.0F), k => 0)")
