"""The `lakelens` command as a user runs it: demo, sql -f with formats, config, cp, shell."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lakelens.engine.cli.demo import ARTICLES, OFFICE, build_demo

from ..conftest import rows

LAKELENS = [sys.executable, "-m", "lakelens.engine.cli.main"]


def run(home, *args, stdin=None):
    return subprocess.run(LAKELENS + ["--home", str(home), *args], input=stdin, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    import lakelens

    home = tmp_path_factory.mktemp("demo")
    build_demo(lakelens.connect(home=home))
    return home


def test_demo_lakehouse_contents(demo_home):
    import lakelens

    s = lakelens.connect(home=demo_home)
    assert rows(s.sql("SHOW VOLUMES IN demo.media")) == [("media", "clips"), ("media", "docs"), ("media", "photos"),
                                                         ("media", "recordings"), ("media", "scans")]
    scans = rows(s.sql("SELECT name, size FROM demo.media.scans ORDER BY name"))
    assert [n for n, _ in scans] == ["invoice_001.png", "memo_003.png", "poster_004.png", "receipt_002.png"]
    assert all(size > 1000 for _, size in scans)
    wav = s.sql("SELECT content FROM demo.media.recordings WHERE name = 'hello.wav'").column(0)[0].as_py()
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    joined = rows(s.sql("SELECT l.category, count(*) FROM demo.media.assets a JOIN demo.media.labels l "
                        "ON a.label_id = l.label_id GROUP BY l.category ORDER BY l.category"))
    assert joined == [("audio", 2), ("finance", 2), ("marketing", 1), ("office", 1), ("text", 3)]


def test_demo_multimodal_queries_a_new_user_tries(demo_home):
    """The queries `lakelens demo` suggests: OCR and speech give the known text, dedup groups
    the planted duplicates."""
    import lakelens
    from lakelens.engine.cli.demo import RECORDINGS, SCANS

    from ..media import wer

    s = lakelens.connect(home=demo_home)
    assert dict(rows(s.sql("SELECT name, ocr(content) FROM demo.media.scans"))) == {n: t for n, t, _ in SCANS}
    heard = dict(rows(s.sql("SELECT name, transcribe(content) FROM demo.media.recordings")))
    assert all(wer(text, heard[name]) <= 0.2 for name, text, _ in RECORDINGS), heard
    groups = dict((i, g) for i, g, _ in rows(s.sql(
        "SELECT id, dup_group, is_representative FROM dedup(TABLE(demo.media.articles), id => 'id', on => 'body')")))
    assert (groups[101], groups[102], groups[103]) == (1, 2, 7)
    assert len(set(groups.values())) == 8
    photos = dict(rows(s.sql("SELECT name, dup_group FROM dedup(TABLE(SELECT name, content FROM demo.media.photos), "
                             "id => 'name', on => 'content', method => 'phash')")))
    assert len(set(photos.values())) == 6
    assert all(photos[f"photo_{i}.png"] == photos[f"photo_{i}_small.jpg"] for i in (0, 2, 4))
    # OCR in Spark feeding text embeddings on a Ray pool, in one statement, as EXPLAIN says.
    plan = rows(s.sql("EXPLAIN SELECT name, embed_text(ocr(content)) FROM demo.media.scans"))[0][0]
    assert "udf=ocr placement=spark" in plan and "udf=embed_text placement=ray device=cpu" in plan
    vectors = dict(rows(s.sql("SELECT name, embed_text(ocr(content)) FROM demo.media.scans")))
    assert set(vectors) == {n for n, _, _ in SCANS} and all(len(v) == 384 for v in vectors.values())
    pools = rows(s.sql("SELECT function, sum(rows) FROM system.runtime.udf_pools WHERE function = 'embed_text' "
                       "GROUP BY function"))
    assert pools and pools[0][1] >= len(SCANS)


def test_every_documented_function_example_runs_on_the_demo(demo_home, tiny_clip):
    """Each function's example (README's SQL reference, DESCRIBE FUNCTION EXTENDED) runs as written."""
    import lakelens
    from lakelens.udfs import FUNCTIONS

    s = lakelens.connect(home=demo_home, conf={f"udf.clip.{k}": v for k, v in tiny_clip.items()})
    results = {}
    for name, spec in FUNCTIONS.items():
        results[name] = s.sql(spec.example)
        assert results[name].num_columns >= 1, name
    frames = rows(results["video_frames"])
    assert [text for _, text in frames] == ["SLIDE ONE", "SLIDE TWO", "SLIDE THREE", "SLIDE THREE"]
    assert sorted(rows(results["minhash"])) == [(1, 101), (2, 102), (7, 103)]
    assert sorted(rows(results["simhash"])) == [(1, 101), (2, 102), (7, 103)]
    # every document type of the demo, sniffed and read (the scanned PDF through OCR)
    texts = {name: (kind, text) for name, kind, text in rows(results["document_text"])}
    assert all(want in texts[name][1] for name, want in OFFICE.items()), texts
    assert texts["scanned.pdf"][0] == "application/pdf" and texts["readme.txt"][0] == "text/plain"
    assert [start for _, start, _ in rows(results["video_scenes"])] == [0.0, 1.0, 2.0]  # a slide each
    chunks = rows(results["chunk_text"])
    assert all(len(c) <= 60 for _, _, c in chunks) and {i for i, _, _ in chunks} == {i for i, _ in ARTICLES}


def test_cli_sql_script_json_and_csv(demo_home, tmp_path):
    script = tmp_path / "q.sql"
    script.write_text("USE demo.media;\nSELECT name FROM scans WHERE name LIKE 'memo%';\n"
                      "SELECT count(*) AS n FROM assets;")
    out = run(demo_home, "sql", "-f", str(script), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert [json.loads(line) for line in out.stdout.splitlines()] == [{"name": "memo_003.png"}, {"n": 9}]
    bad = run(demo_home, "sql", "SELECT * FROM demo.media.scan", "--format", "csv")
    assert bad.returncode == 1
    assert "[TABLE_OR_VIEW_NOT_FOUND] demo.media.scan — did you mean demo.media.scans?" in bad.stderr


def test_cli_config_shows_sources(tmp_path):
    (tmp_path / "lakelens.toml").write_text('[session]\nschema = "media"\n')
    out = run(tmp_path, "--conf", "spark.master=local[1]", "config")
    assert out.returncode == 0, out.stderr
    lines = {line.split("|")[1].strip(): line for line in out.stdout.splitlines() if line.startswith("|")}
    assert "override" in lines["spark.master"] and "local[1]" in lines["spark.master"]
    assert str(tmp_path / "lakelens.toml") in lines["session.schema"]
    assert "default" in lines["session.catalog"].split("|")[3]


def test_cli_cp_and_shell_without_spark(tmp_path):
    local = tmp_path / "in"
    local.mkdir()
    (local / "one.txt").write_text("1")
    shell = run(tmp_path, "shell", stdin="CREATE VOLUME main.default.files;\nSHOW VOLUMES;\n")
    assert shell.returncode == 0 and "files" in shell.stdout, shell.stderr
    cp = run(tmp_path, "cp", "-r", str(local), "/Volumes/main/default/files/")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.strip() == "/Volumes/main/default/files/in/one.txt"
    back = run(tmp_path, "cp", "/Volumes/main/default/files/in/one.txt", str(tmp_path / "copy.txt"))
    assert back.returncode == 0 and (tmp_path / "copy.txt").read_text() == "1"
    escape = run(tmp_path, "cp", str(local / "one.txt"), "/Volumes/main/default/files/../../x")
    assert escape.returncode == 1 and "INVALID_VOLUME_PATH" in escape.stderr


def test_demo_suggests_commands_a_new_user_can_paste(demo_home, tmp_path):
    """After `make run` the `lakelens` command lives in .venv/bin, not on PATH: the suggested
    commands name it so that they run as printed from where the user is."""
    import os
    import shlex
    import shutil

    lakelens_bin = os.path.join(os.path.dirname(sys.executable), "lakelens")
    bare_path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                                if os.path.dirname(sys.executable) != p)
    for cwd in (tmp_path, os.path.dirname(os.path.dirname(os.path.dirname(sys.executable)))):
        out = subprocess.run([lakelens_bin, "--home", str(demo_home), "demo"], capture_output=True, text=True,
                             cwd=cwd, env=dict(os.environ, PATH=bare_path), timeout=300)
        assert out.returncode == 0, out.stderr
        suggested = [line.strip() for line in out.stdout.splitlines() if " sql " in line]
        assert suggested
        command = shlex.split(suggested[0])[0]
        found = shutil.which(command, path=bare_path) if os.sep not in command else os.path.join(cwd, command)
        assert found and os.access(found, os.X_OK), (cwd, suggested[0])


def test_recipes_run_end_to_end_on_the_demo(demo_home):
    """The four shipped pipelines, filled in and run on the demo (one as `lakelens recipes show` prints it)."""
    import lakelens
    from lakelens.engine.recipes import recipe, recipes

    from lakelens.engine.cli.demo import CLIPS, RECORDINGS

    assert sorted(recipes()) == ["documents_to_chunks", "images_to_dataset", "speech_to_transcripts", "video_to_scenes"]
    listed = run(demo_home, "recipes")
    assert listed.returncode == 0 and "documents_to_chunks" in listed.stdout and "chunk_chars = 400" in listed.stdout
    shown = run(demo_home, "recipes", "show", "documents_to_chunks", "--set", "target=main.default.chunks",
                "--set", "chunk_chars=120", "--set", "overlap=30")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("CREATE OR REPLACE TABLE main.default.chunks AS") and "${" not in shown.stdout
    dbt = run(demo_home, "recipes", "show", "documents_to_chunks", "--dbt")
    assert "{{ config(materialized='table'" in dbt.stdout and "CREATE" not in dbt.stdout.split("\n", 2)[2]
    bad = run(demo_home, "recipes", "show", "documents_to_chunks", "--set", "min_words=1; DROP TABLE x")
    assert bad.returncode == 1 and "recipe parameter min_words must be a number" in bad.stderr
    s = lakelens.connect(home=demo_home)
    list(s.run_script(shown.stdout))
    chunks = rows(s.sql("SELECT path, chunk_index, chunk, size(embedding) FROM main.default.chunks "
                        "ORDER BY path, chunk_index"))
    by_doc = {}
    for path, _, chunk, dims in chunks:
        assert len(chunk) <= 120 and dims == 384
        by_doc.setdefault(path.rsplit("/", 1)[1], []).append(chunk)
    for name, text in OFFICE.items():  # every document type, the scanned PDF through OCR
        assert text.split(",")[0] in " ".join(by_doc[name]), (name, by_doc.get(name))
    assert "Copyright 2026 Lake News" not in " ".join(by_doc["article.html"])  # boilerplate removed

    list(s.run_script(recipe("speech_to_transcripts").render({"target": "main.default.speech"})))
    speech = dict((p.rsplit("/", 1)[1], (lang, t)) for p, lang, t in rows(s.sql(
        "SELECT path, language, transcript FROM main.default.speech")))
    assert set(speech) == {n for n, _, _ in RECORDINGS} and all(lang == "en" for lang, _ in speech.values())

    list(s.run_script(recipe("images_to_dataset").render({"target": "main.default.images"})))
    kept = {p.rsplit("/", 1)[1] for (p,) in rows(s.sql("SELECT path FROM main.default.images"))}
    sharp = {n for n, v in rows(s.sql("SELECT name, image_quality(content).sharpness FROM demo.media.photos"))
             if v >= 0.001}
    # the resized copies are dropped as duplicates, smooth (blurry) pictures by the sharpness filter
    assert kept == {n for n in sharp if not n.endswith("_small.jpg")} and len(kept) >= 4

    list(s.run_script(recipe("video_to_scenes").render({"target": "main.default.scenes"})))
    scenes = rows(s.sql("SELECT start, screen_text, transcript FROM main.default.scenes ORDER BY start"))
    assert [(start, text) for start, text, _ in scenes] == [(0.0, "SLIDE ONE"), (1.0, "SLIDE TWO"), (2.0, "SLIDE THREE")]
    said = " ".join(t for _, _, t in scenes).lower()
    assert "report" in said and "friday" in said and CLIPS[0][2].split()[0] in said
    with pytest.raises(Exception, match="recipe parameter target must be a table or volume name"):
        recipe("video_to_scenes").render({"target": "x; DROP TABLE y"})
