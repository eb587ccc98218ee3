"""The two ends of a Ray placement outside Ray: the driver that creates pools, and the Spark
Python worker that feeds them.

Driver: `ensure_pool` gets or creates the named dispatcher of a (function, options, sizing)
pool and returns a `PoolRef`, which the call's Arrow UDF carries to Spark's workers;
`pool_rows` reads every lakelens pool's counters for `system.runtime.udf_pools`;
`cancel_group` tells pools to drop a cancelled statement's waiting batches.

Worker: `call` splits the Arrow batch Spark hands the UDF into `batch_size`-row record
batches, keeps a few of them in flight to the dispatcher, and puts the results back
together in the original order.
"""

from __future__ import annotations

import collections
import hashlib
import json
from dataclasses import asdict, dataclass

import pyarrow as pa

from lakelens.engine.pools.dispatcher import POOL_PREFIX, PoolCancelled, PoolDispatcher, PoolError, PoolSettings
from lakelens.engine.pools.ray_runtime import NAMESPACE, RayRuntime



@dataclass(frozen=True)
class PoolRef:
    """What a Spark worker needs to reach a pool."""

    name: str
    function: str
    runtime: RayRuntime
    batch_size: int
    in_flight: int


def pool_name(settings: PoolSettings) -> str:
    key = json.dumps(asdict(settings), sort_keys=True, default=repr)
    return f"{POOL_PREFIX}{settings.function}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"


def ensure_pool(runtime: RayRuntime, settings: PoolSettings, owned: dict[str, object], lock) -> PoolRef:
    """Get or create the pool's dispatcher. `owned` (the engine Runtime's `pool_handles`, under
    `lock`) keeps the handles: a named actor that is not detached lives while its owner holds
    a handle, so the pools go when this process goes."""
    import ray

    name = pool_name(settings)
    with lock:
        if name not in owned:
            handle = ray.remote(PoolDispatcher).options(
                name=name, namespace=NAMESPACE, get_if_exists=True, num_cpus=0, max_concurrency=10_000,
                max_restarts=0).remote(settings)
            handle.stats.remote()  # starts min_actors now, while Spark plans the statement
            owned[name] = handle
    return PoolRef(name, settings.function, runtime, settings.batch_size, max(2, 2 * settings.max_actors))


def _pools() -> list[tuple[str, object]]:
    import ray

    out = []
    for name in sorted(ray.util.list_named_actors()):
        if name.startswith(POOL_PREFIX):
            try:
                out.append((name, ray.get_actor(name, namespace=NAMESPACE)))
            except ValueError:
                pass  # stopped meanwhile
    return out


def _stats() -> list[tuple[str, dict]]:
    """Every reachable pool's counters (a pool whose owner just exited is skipped)."""
    import ray

    asked = [(name, handle.stats.remote()) for name, handle in _pools()]
    out = []
    for name, ref in asked:
        try:
            out.append((name, ray.get(ref, timeout=30)))
        except (ray.exceptions.RayActorError, ray.exceptions.GetTimeoutError):
            pass
    return out


def pool_rows() -> list[dict]:
    """One row per pool and node: the counters of `system.runtime.udf_pools`."""
    import ray

    names = {node["NodeID"]: node.get("NodeName") or node.get("NodeManagerAddress") for node in ray.nodes()}
    rows = []
    for name, st in _stats():
        base = {"pool": name, "function": st["function"], "device": st["device"], "batch_size": st["batch_size"],
                "min_actors": st["min_actors"], "max_actors": st["max_actors"], "queued": st["queued"]}
        nodes = st["nodes"] or {None: {"actors": 0, "batches": 0, "rows": 0, "loads": 0, "failures": 0}}
        for node_id, n in sorted(nodes.items(), key=lambda kv: str(kv[0])):
            rows.append({**base, "node": names.get(node_id, node_id), "node_id": (node_id or "")[:12] or None,
                         "actors": n["actors"], "batches": n["batches"], "rows": n["rows"],
                         "model_loads": n["loads"], "failures": n["failures"]})
    return rows


def pool_pids() -> dict[str, list[int]]:
    """Process ids of each pool's live model actors, by pool name (tests kill one)."""
    return {name: st["pids"] for name, st in _stats()}


def cancel_group(group: str) -> None:
    """A cancelled statement: every pool drops its waiting batches and refuses new ones."""
    for _, handle in _pools():
        handle.cancel.remote(group)


# ---------------------------------------------------------------------- Spark worker side
# Per Spark Python worker process: dispatcher handles looked up by name once.
_handles: dict[str, object] = {}


def _job_group() -> str | None:
    try:
        from pyspark import TaskContext

        context = TaskContext.get()
        return context.getLocalProperty("spark.jobGroup.id") if context is not None else None
    except Exception:
        return None


def call(ref: PoolRef, on_error: str, arrays) -> pa.Array:
    """Run one Arrow batch of a UDF through the pool; results in the rows' order."""
    from lakelens.udfs import FunctionError

    from lakelens.engine.pools.ray_runtime import worker_join

    try:
        worker_join(ref.runtime)
        import ray

        pool = _handles.get(ref.name)
        if pool is None:
            pool = _handles[ref.name] = ray.get_actor(ref.name, namespace=NAMESPACE)
    except Exception as e:
        raise PoolError(f"{ref.function}: cannot reach its Ray pool at {ref.runtime.worker_address}: {e}") from None
    arrays = [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in arrays]
    batch = pa.RecordBatch.from_arrays(arrays, names=[f"c{i}" for i in range(len(arrays))])
    group = _job_group()
    starts = range(0, max(batch.num_rows, 1), ref.batch_size)
    pending: collections.deque = collections.deque()
    results: list[pa.Array] = []
    try:
        for start in starts:
            pending.append(pool.run.remote(group, on_error, batch.slice(start, ref.batch_size)))
            if len(pending) >= ref.in_flight:
                results.append(ray.get(pending.popleft()))
        while pending:
            results.append(ray.get(pending.popleft()))
    except ray.exceptions.RayTaskError as e:
        cause = getattr(e, "cause", None)
        if isinstance(cause, FunctionError):
            raise FunctionError(str(cause)) from None
        if isinstance(cause, PoolCancelled):
            raise PoolCancelled(str(cause)) from None
        raise PoolError(str(cause) if cause is not None else str(e)) from None
    except ray.exceptions.RayActorError as e:
        _handles.pop(ref.name, None)
        raise PoolError(f"{ref.function}: its Ray pool stopped: {e}") from None
    return results[0] if len(results) == 1 else pa.concat_arrays(results)
