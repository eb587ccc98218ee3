"""OpenLineage export (engine/openlineage.py): each write's lineage reaches a real HTTP
endpoint (a local server standing in for Marquez) or a file as a spec-shaped run event,
without ever delaying or failing the statement."""

from __future__ import annotations

import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import lakelens


@pytest.fixture
def receiver():
    """An HTTP server that answers 201 and hands each request (path, headers, JSON) to a queue."""
    got: queue.Queue = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.put((self.path, dict(self.headers), json.loads(body)))
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.got = got
    yield server
    server.shutdown()
    server.server_close()


def test_a_write_becomes_a_run_event_with_column_lineage(fresh, home, receiver):
    cat = fresh.current_catalog
    s = lakelens.connect(home=home, user="tester", conf={
        "lineage.openlineage.url": f"http://127.0.0.1:{receiver.server_address[1]}",
        "lineage.openlineage.api_key": "k-123", "lineage.openlineage.namespace": "lake"})
    s.sql(f"USE CATALOG {cat}")
    s.sql("CREATE TABLE notes (id INT, body STRING)")
    s.sql("INSERT INTO notes VALUES (1, 'one two three')")
    assert receiver.got.empty()  # (nothing read, nothing to export: as the catalog records nothing)
    s.sql("CREATE TABLE counts AS SELECT id, text_stats(body).words AS words FROM notes")
    path, headers, event = receiver.got.get(timeout=300)  # the event, waited for (not a deadline)
    assert path == "/api/v1/lineage" and headers["Authorization"] == "Bearer k-123"
    assert event["eventType"] == "COMPLETE" and event["schemaURL"].startswith("https://openlineage.io/spec/")
    assert event["job"]["namespace"] == "lake"
    assert event["job"]["name"] == f"create_table_as_select.{cat}.default.counts"
    assert "text_stats(body)" in event["job"]["facets"]["sql"]["query"]
    assert [(d["namespace"], d["name"]) for d in event["inputs"]] == [("lake", f"{cat}.default.notes")]
    (output,) = event["outputs"]
    assert output["name"] == f"{cat}.default.counts"
    assert [(f["name"], f["type"]) for f in output["facets"]["schema"]["fields"]] == [("id", "int"), ("words", "int")]
    fields = output["facets"]["columnLineage"]["fields"]
    assert [(i["name"], i["field"], [t["description"] for t in i["transformations"] if "description" in t])
            for i in fields["words"]["inputFields"]] == [(f"{cat}.default.notes", "body", ["text_stats"])]
    assert fields["id"]["inputFields"][0]["transformations"][0]["subtype"] == "IDENTITY"
    recorded = s.sql("SELECT statement_id FROM system.access.table_lineage WHERE target_table_full_name = "
                     f"'{cat}.default.counts'").to_pylist()
    assert [event["run"]["facets"]["lakelens_statement"]["statementId"]] == [r["statement_id"] for r in recorded]


def test_a_file_gets_one_event_per_line_and_a_dead_endpoint_fails_nothing(fresh, home, tmp_path):
    cat = fresh.current_catalog
    log = tmp_path / "lineage.jsonl"
    s = lakelens.connect(home=home, user="tester", conf={"lineage.openlineage.url": f"file://{log}"})
    s.sql(f"USE CATALOG {cat}")
    s.sql("CREATE TABLE a AS SELECT 1 AS x")
    s.sql("CREATE VIEW v AS SELECT x + 1 AS y FROM a")
    s.runtime.lineage_exporter(s.config).flush()
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["job"]["name"], [i["name"] for i in e["inputs"]]) for e in events] == [
        (f"create_view.{cat}.default.v", [f"{cat}.default.a"])]

    # Nothing listens on this port: statements still succeed, the exporter counts the failure.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    s2 = lakelens.connect(home=home, user="tester", conf={
        "lineage.openlineage.url": f"http://user:hunter2@127.0.0.1:{dead}", "lineage.openlineage.timeout_s": "1"})
    s2.sql(f"USE CATALOG {cat}")
    s2.sql("CREATE TABLE b AS SELECT x FROM a")
    exporter = s2.runtime.lineage_exporter(s2.config)
    exporter.flush()
    assert exporter.failed >= 1 and "hunter2" not in exporter.shown_url
    assert s2.sql("SELECT * FROM b").to_pylist() == [{"x": 1}]
    with pytest.raises(lakelens.LakelensError, match="INVALID_CONFIG"):  # refused at once, not at a write
        lakelens.connect(home=home, conf={"lineage.openlineage.url": "ftp://x"})
