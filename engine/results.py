"""A Spark query's rows as a stream of Arrow record batches, computed a few partitions at a time."""

from __future__ import annotations

import pyarrow as pa


class SparkStream:
    """Rows of a Spark DataFrame as Arrow batches, computed and fetched a few partitions at a time.

    Spark's `toArrow()` collects the whole result in the driver, and its local iterator runs
    one job per partition (slow for small results). Here the partitions of the Arrow batch
    RDD are run in chunks that grow 1, 4, 16 … partitions while a chunk stays under
    `CHUNK_BYTES`, so a one-partition answer costs one job and a huge one never sits whole
    in the driver. Each job carries the execution's job group, on whichever thread reads
    (the gateway fetches from connection threads)."""

    CHUNK_BYTES = 32 << 20
    MAX_CHUNK = 64

    def __init__(self, df, errors, execution, runtime):
        from pyspark.sql.pandas.types import to_arrow_schema

        self.schema = to_arrow_schema(df.schema, prefers_large_types=False)
        self._df, self._errors, self._execution, self._runtime = df, errors, execution, runtime
        self._closed = False

    def __iter__(self):
        from pyspark.serializers import NoOpSerializer
        from pyspark.util import _load_from_socket

        spark = self._df.sparkSession
        run_job, context = self._runtime.run_job, self._runtime.jvm_context
        frames = NoOpSerializer()
        with self._errors:
            # Adaptive execution runs a query's shuffle stages already while the RDD learns its
            # partitions: those jobs must carry the job group too.
            self._tag(spark)
            jrdd = self._df._jdf.toArrowBatchRdd().toJavaRDD()
            total, start, chunk = jrdd.getNumPartitions(), 0, 1
            while start < total and not self._closed:
                partitions = list(range(start, min(total, start + chunk)))
                if start:
                    self._tag(spark)  # later chunks may be read on another thread
                nbytes = 0
                wanted = self._runtime.first_partition if partitions == [0] else partitions
                for message in _load_from_socket(run_job(context, jrdd, wanted), frames):
                    nbytes += len(message)
                    yield pa.ipc.read_record_batch(pa.py_buffer(message), self.schema)
                    if self._closed:
                        return
                start += len(partitions)
                per_partition = max(nbytes / len(partitions), 1)
                chunk = max(1, min(chunk * 4, self.MAX_CHUNK, int(self.CHUNK_BYTES / per_partition)))

    def _tag(self, spark) -> None:
        if self._execution is not None:
            self._execution.tag_jobs(spark)

    def close(self) -> None:
        """Stop after the current chunk (a running job is cancelled by its job group)."""
        self._closed = True
