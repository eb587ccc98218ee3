"""OpenLineage export: every write's lineage as a run event, for Marquez and other consumers.

The engine records lineage in the catalog (sql/lineage.py, `Session._record_lineage`). When
`lineage.openlineage.url` is set, each write also becomes one OpenLineage `RunEvent`
(eventType COMPLETE) built with the project's own client package (`openlineage-python`):

* the job is the statement's operation on its target (`create_table_as_select.demo.media.texts`)
  with a `sql` facet (the statement as written, passwords redacted) and a `jobType` facet;
* inputs are the tables, views and volumes it read, outputs the table or view it wrote, with a
  `schema` facet and a `columnLineage` facet naming, for each written column, the source
  columns and the multimodal functions on the way (`transformations`);
* each statement is one run (a fresh UUID); its statement id
  (`system.access.table_lineage.statement_id`) is the run's `lakelens_statement` facet.

Events leave on a background thread through a bounded queue, so a slow or unreachable
endpoint never delays a statement: when the queue is full the oldest waiting event is
dropped and a warning says how many were. `http(s)://…` posts to `<url>/<endpoint>`
(Marquez: `api/v1/lineage`, the default), with a bearer token when `api_key` is set;
`file:///path/events.jsonl` appends one JSON event per line. docs/governance.md describes it.
"""

from __future__ import annotations

import atexit
import importlib.metadata
import logging
import queue
import threading
import uuid
from datetime import datetime, timezone
from urllib.parse import urlsplit

import attr
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    column_lineage_dataset as cl,
    job_type_job,
    processing_engine_run,
    schema_dataset,
    sql_job,
)
from openlineage.client.generated.base import RunFacet

import lakelens
from lakelens.catalog import LakelensError
from lakelens.engine.config import redact_text

log = logging.getLogger("lakelens.openlineage")

PRODUCER = "https://github.com/lakelens/lakelens"
_STOP = object()


def _invalid(message: str) -> LakelensError:
    return LakelensError(message, error_class="INVALID_CONFIG", sqlstate="22023")


@attr.define
class StatementRunFacet(RunFacet):
    """lakelens' own run facet: the statement id and user of system.access.table_lineage."""

    statementId: str  # noqa: N815 - OpenLineage facets are camelCase
    user: str

    @staticmethod
    def _get_schema() -> str:
        return "https://github.com/lakelens/lakelens/blob/main/docs/governance.md#openlineage-export"


class LineageExporter:
    """One per process and URL (engine/runtime.py); `emit` never blocks on the network."""

    def __init__(self, config):
        self.url = config.get("lineage.openlineage.url", "").strip()
        self.shown_url = redact_text(self.url)  # for messages: never a password in a URL
        self.namespace = config.get("lineage.openlineage.namespace", "lakelens").strip() or "lakelens"
        size = config.number("lineage.openlineage.queue_size", 10000, int, 1)
        parts = urlsplit(self.url)
        if parts.scheme in ("http", "https"):
            from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport, TokenProvider

            key = config.get("lineage.openlineage.api_key", "")
            auth = ApiKeyTokenProvider({"apiKey": key}) if key else TokenProvider({})
            transport = HttpTransport(HttpConfig(
                url=self.url, endpoint=config.get("lineage.openlineage.endpoint", "api/v1/lineage"),
                timeout=config.number("lineage.openlineage.timeout_s", 5.0, float, 0.1), auth=auth))
        elif parts.scheme == "file":
            from openlineage.client.transport.file import FileConfig, FileTransport

            if not parts.path:
                raise _invalid(f"lineage.openlineage.url {self.shown_url!r} names no file")
            transport = FileTransport(FileConfig(log_file_path=parts.path, append=True))
        else:
            raise _invalid(f"lineage.openlineage.url must be http(s)://… or file:///…, got {self.shown_url!r}")
        self.client = OpenLineageClient(transport=transport)
        self._queue: queue.Queue = queue.Queue(maxsize=size)
        self.sent = self.failed = self.dropped = 0
        self._thread = threading.Thread(target=self._send, daemon=True, name="openlineage")
        self._thread.start()
        atexit.register(self.close)

    # ------------------------------------------------------------------ events
    def emit(self, *, statement_id: str | None, statement: str, operation: str, target: str, target_type: str,
             target_columns, sources, columns, user: str) -> None:
        """Queue the run event of one write. `sources`: full names or (name, kind, path) triples;
        `columns`: (source, source column, target column, functions) rows."""
        try:
            event = self._event(statement_id, statement, operation, target, target_type, target_columns,
                                sources, columns, user)
        except Exception:  # never let lineage export break a statement
            log.exception("could not build the OpenLineage event of %s", target)
            return
        while True:
            try:
                self._queue.put_nowait(event)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self._queue.task_done()
                    self.dropped += 1
                    if self.dropped in (1, 10, 100) or self.dropped % 1000 == 0:
                        log.warning("OpenLineage endpoint %s is behind: %d event(s) dropped", self.shown_url,
                                    self.dropped)
                except queue.Empty:
                    pass

    def _event(self, statement_id, statement, operation, target, target_type, target_columns, sources, columns,
               user):
        kinds = {}
        for s in sources:
            name, kind, path = (s, "TABLE", None) if isinstance(s, str) else s
            if name != target:
                kinds.setdefault(name, (kind, path))
        fields: dict[str, list] = {}
        for src, scol, tcol, fn in dict.fromkeys(columns):
            if src not in kinds:
                continue
            transformations = [cl.Transformation(type="DIRECT", subtype="TRANSFORMATION", description=f)
                               for f in (fn or "").split(",") if f] or [
                cl.Transformation(type="DIRECT", subtype="IDENTITY")]
            fields.setdefault(tcol, []).append(cl.InputField(namespace=self.namespace, name=src, field=scol,
                                                             transformations=transformations))
        output_facets = {"schema": schema_dataset.SchemaDatasetFacet(fields=[
            schema_dataset.SchemaDatasetFacetFields(name=c.name, type=c.type) for c in target_columns])}
        if fields:
            output_facets["columnLineage"] = cl.ColumnLineageDatasetFacet(fields={
                t: cl.Fields(inputFields=f, transformationDescription="", transformationType="")
                for t, f in fields.items()})
        job_name = f"{operation.lower().replace(' ', '_')}.{target}"
        # Each statement is one run; statement ids restart with every process, so the run id
        # is a fresh UUID and the statement id travels as the run's `lakelens` facet.
        run_id = str(uuid.uuid4())
        return RunEvent(
            eventType=RunState.COMPLETE,
            eventTime=datetime.now(timezone.utc).isoformat(),
            run=Run(runId=run_id, facets={
                "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
                    version=lakelens.__version__, name="lakelens",
                    openlineageAdapterVersion=importlib.metadata.version("openlineage-python")),
                **({"lakelens_statement": StatementRunFacet(statementId=statement_id, user=user)}
                   if statement_id else {})}),
            job=Job(namespace=self.namespace, name=job_name, facets={
                "sql": sql_job.SQLJobFacet(query=statement),
                "jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration="LAKELENS",
                                                        jobType="QUERY")}),
            inputs=[InputDataset(namespace=self.namespace, name=name) for name in sorted(kinds)],
            outputs=[OutputDataset(namespace=self.namespace, name=target, facets=output_facets)],
            producer=PRODUCER,
        )

    # ------------------------------------------------------------------ the sender
    def _send(self) -> None:
        while True:
            event = self._queue.get()
            try:
                if event is _STOP:
                    return
                self.client.emit(event)
                self.sent += 1
            except Exception as e:
                self.failed += 1
                log.warning("OpenLineage event for %s not delivered to %s: %s",
                            event.job.name if hasattr(event, "job") else "?", self.shown_url, redact_text(str(e)))
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        """Wait until every queued event has been sent (or failed)."""
        self._queue.join()

    def close(self, timeout_s: float = 10.0) -> None:
        """At exit: send what is queued (a one-shot `lakelens sql` CTAS included), for at most
        `timeout_s`, then stop the sender."""
        try:
            self._queue.put(_STOP, timeout=timeout_s)
        except queue.Full:
            return
        self._thread.join(timeout_s)

