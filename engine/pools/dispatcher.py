"""Ray actor pools for multimodal functions: what runs inside Ray.

A pool is one named dispatcher actor (async, no resources of its own) per function and
options, owning model actors that each load the model once (`lakelens.udfs.evaluate`'s
per-process instance). Spark's Python workers send Arrow record batches to the dispatcher
(`pool_client.call`); it hands each to an idle model actor and returns the result array.

The dispatcher, not Ray's transparent restarts, handles faults, so that they are counted and
bounded: a model actor that dies mid-batch (killed, out of memory) is dropped and the batch is
retried on another actor, at most `max_retries` times, then the call fails with `PoolError`.
Every batch's result is returned exactly once to the one caller waiting for it, so a retry
can neither lose nor duplicate rows.

Scaling: a batch that finds no idle actor starts one (up to `max_actors`); actors idle for
`idle_timeout_s` stop (down to `min_actors`). A pool whose new actor cannot be placed for a
few seconds asks the other lakelens pools in the namespace to stop their idle actors (a
laptop's 2 CPUs are easily all held by pools that are done); one that cannot start any actor
within `start_timeout_s` fails the call and says what it asked Ray for.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

POOL_PREFIX = "lakelens-pool-"


class PoolError(RuntimeError):
    """The pool could not run a batch (not the function's verdict on the data)."""


class PoolCancelled(PoolError):
    """The statement that sent the batch was cancelled."""


class ModelActor:
    """Holds one model (loaded in `ready`) and evaluates batches with it."""

    def __init__(self, function: str, options: dict[str, Any]):
        self.function, self.options = function, options

    def ready(self) -> dict:
        import ray

        from lakelens.udfs import instance, load_count

        instance(self.function, self.options)
        loads = sum(n for (name, _), n in load_count.items() if name == self.function)
        return {"pid": os.getpid(), "node_id": ray.get_runtime_context().get_node_id(), "loads": loads}

    def evaluate(self, on_error: str, batch: pa.RecordBatch) -> pa.Array:
        from lakelens.udfs import evaluate

        return evaluate(self.function, self.options, on_error, *batch.columns)


@dataclass
class _Actor:
    handle: Any
    started: float
    ready: bool = False
    busy: bool = False
    pid: int | None = None
    node_id: str | None = None
    last_used: float = 0.0


@dataclass
class _NodeStats:
    batches: int = 0
    rows: int = 0
    loads: int = 0
    failures: int = 0


@dataclass
class PoolSettings:
    function: str
    options: dict[str, Any]
    device: str
    num_cpus: float
    num_gpus: float
    min_actors: int
    max_actors: int
    idle_timeout_s: float
    max_retries: int
    batch_size: int
    start_timeout_s: float = 300.0
    trim_after_s: float = 3.0  # a start pending this long asks other pools to free idle actors
    scope: str = ""  # the workspace whose statements use the pool (its own pools, under its max_gpus)


class PoolDispatcher:
    """The named actor of one pool (created with max_concurrency high, num_cpus=0)."""

    def __init__(self, settings: PoolSettings):
        self.s = settings
        self.actors: list[_Actor] = []
        self.nodes: dict[str, _NodeStats] = {}
        self.cancelled: dict[str, float] = {}
        self.waiting = 0
        self.start_error: BaseException | None = None
        self._cond: asyncio.Condition | None = None
        self._last_trim = 0.0
        self._reaper = None

    # ------------------------------------------------------------------ callers
    async def run(self, group: str | None, on_error: str, batch: pa.RecordBatch) -> pa.Array:
        import ray

        self._setup()
        failures = 0
        while True:
            actor = await self._acquire(group)
            try:
                ref = actor.handle.evaluate.remote(on_error, batch)
                result = await ref
            except asyncio.CancelledError:
                # The call was cancelled (its caller went away): the actor is still
                # computing; it becomes idle again when it is done.
                asyncio.get_running_loop().create_task(self._release_when_done(actor, ref))
                raise
            except ray.exceptions.RayActorError as e:
                await self._lost(actor, e)
                failures += 1
                if failures > self.s.max_retries:
                    raise PoolError(
                        f"{self.s.function}: the Ray actor running a batch of {batch.num_rows} rows died "
                        f"{failures} time(s), last: {_reason(e)}; gave up after udf.{self.s.function}.max_retries"
                        f" = {self.s.max_retries}") from None
                continue
            except ray.exceptions.RayTaskError as e:
                await self._release(actor)
                raise _cause(e) from None
            except BaseException:
                await self._release(actor)
                raise
            await self._release(actor)
            stats = self._node(actor.node_id)
            stats.batches += 1
            stats.rows += batch.num_rows
            return result

    async def cancel(self, group: str) -> None:
        """Batches of this statement still waiting for an actor are dropped, and later ones refused."""
        self._setup()
        now = time.monotonic()
        self.cancelled = {g: t for g, t in self.cancelled.items() if now - t < 3600}
        self.cancelled[group] = now
        async with self._cond:
            self._cond.notify_all()

    async def trim(self, idle_for_s: float = 2.0) -> int:
        """Stop idle actors beyond min_actors that have been idle at least `idle_for_s`."""
        self._setup()
        return await self._stop_idle(idle_for_s)

    async def stats(self) -> dict:
        self._setup()
        alive: dict[str, int] = {}
        for a in self.actors:
            if a.ready:
                alive[a.node_id] = alive.get(a.node_id, 0) + 1
        nodes = {n: {"actors": alive.get(n, 0), "batches": s.batches, "rows": s.rows, "loads": s.loads,
                     "failures": s.failures} for n, s in self.nodes.items()}
        for n, count in alive.items():
            nodes.setdefault(n, {"actors": count, "batches": 0, "rows": 0, "loads": 0, "failures": 0})
        return {"function": self.s.function, "device": self.s.device, "batch_size": self.s.batch_size,
                "min_actors": self.s.min_actors,
                "max_actors": self.s.max_actors, "starting": sum(1 for a in self.actors if not a.ready),
                "queued": self.waiting, "busy": sum(1 for a in self.actors if a.busy), "nodes": nodes,
                "pids": [a.pid for a in self.actors if a.ready]}

    # ------------------------------------------------------------------ actors
    def _setup(self) -> None:
        if self._cond is None:
            self._cond = asyncio.Condition()
            self._reaper = asyncio.get_running_loop().create_task(self._reap())
            for _ in range(self.s.min_actors):
                self._start()

    def _node(self, node_id: str | None) -> _NodeStats:
        return self.nodes.setdefault(node_id or "?", _NodeStats())

    def _start(self) -> None:
        import ray

        remote = ray.remote(ModelActor).options(
            num_cpus=self.s.num_cpus, num_gpus=self.s.num_gpus, max_restarts=0, max_task_retries=0,
            scheduling_strategy="SPREAD")
        actor = _Actor(remote.remote(self.s.function, self.s.options), time.monotonic())
        self.actors.append(actor)
        asyncio.get_running_loop().create_task(self._await_ready(actor))

    async def _await_ready(self, actor: _Actor) -> None:
        import ray

        try:
            info = await actor.handle.ready.remote()
        except ray.exceptions.RayTaskError as e:  # the model did not load: say why, to every waiter
            self.start_error = _cause(e)
            self._drop(actor)
        except ray.exceptions.RayActorError as e:
            self._drop(actor)
            self._node(None).failures += 1
            self.start_error = PoolError(f"{self.s.function}: a Ray actor died while loading its model: {_reason(e)}")
        else:
            actor.ready, actor.pid, actor.node_id, actor.last_used = True, info["pid"], info["node_id"], time.monotonic()
            self._node(actor.node_id).loads += info["loads"]  # as the actor process counted them
            self.start_error = None
        async with self._cond:
            self._cond.notify_all()

    def _drop(self, actor: _Actor) -> None:
        import ray

        if actor in self.actors:
            self.actors.remove(actor)
        try:
            ray.kill(actor.handle, no_restart=True)
        except Exception:
            pass

    async def _lost(self, actor: _Actor, error: BaseException) -> None:
        self._drop(actor)
        self._node(actor.node_id).failures += 1
        async with self._cond:
            self._cond.notify_all()

    async def _release_when_done(self, actor: _Actor, ref) -> None:
        import ray

        try:
            await ref
        except ray.exceptions.RayActorError as e:
            await self._lost(actor, e)
            return
        except Exception:
            pass
        await self._release(actor)

    async def _release(self, actor: _Actor) -> None:
        actor.busy, actor.last_used = False, time.monotonic()
        async with self._cond:
            self._cond.notify_all()

    async def _acquire(self, group: str | None) -> _Actor:
        self.waiting += 1
        try:
            async with self._cond:
                while True:
                    if group is not None and group in self.cancelled:
                        raise PoolCancelled(f"{self.s.function}: statement cancelled")
                    idle = [a for a in self.actors if a.ready and not a.busy]
                    if idle:
                        actor = min(idle, key=lambda a: a.last_used)
                        actor.busy = True
                        return actor
                    ready = [a for a in self.actors if a.ready]
                    starting = [a for a in self.actors if not a.ready]
                    if not ready and not starting and self.start_error is not None:
                        raise self.start_error
                    if len(starting) < self.waiting - len(ready) and len(self.actors) < self.s.max_actors:
                        self._start()
                        continue
                    if starting and not ready:
                        waited = time.monotonic() - min(a.started for a in starting)
                        if waited > self.s.start_timeout_s:
                            raise PoolError(self._cannot_start(waited))
                        if waited > self.s.trim_after_s and self._starved():
                            await self._trim_others()
                    try:
                        await asyncio.wait_for(self._cond.wait(), timeout=1.0)
                    except asyncio.TimeoutError:
                        pass
        finally:
            self.waiting -= 1

    def _cannot_start(self, waited: float) -> str:
        import ray

        want = {"CPU": self.s.num_cpus, "GPU": self.s.num_gpus}
        free = {k: v for k, v in ray.available_resources().items() if k in ("CPU", "GPU")}
        return (f"{self.s.function}: no Ray actor could start in {waited:.0f} s; each asks for "
                f"{ {k: v for k, v in want.items() if v} } and the cluster has {free} free "
                f"(udf.{self.s.function}.num_cpus / num_gpus)")

    def _starved(self) -> bool:
        """Ray lacks what one more actor asks for (a slow model load is not a reason to trim)."""
        import ray

        free = ray.available_resources()
        return free.get("CPU", 0.0) < self.s.num_cpus or free.get("GPU", 0.0) < self.s.num_gpus

    async def _trim_others(self) -> None:
        import ray

        now = time.monotonic()
        if now - self._last_trim < 5.0:
            return
        self._last_trim = now
        me = ray.get_runtime_context().get_actor_name()
        for name in ray.util.list_named_actors():
            if name.startswith(POOL_PREFIX) and name != me:
                try:
                    ray.get_actor(name).trim.remote(2.0)
                except Exception:
                    pass

    async def _stop_idle(self, idle_for_s: float) -> int:
        now = time.monotonic()
        idle = sorted((a for a in self.actors if a.ready and not a.busy and now - a.last_used >= idle_for_s),
                      key=lambda a: a.last_used)
        spare = len([a for a in self.actors if a.ready]) - self.s.min_actors
        stopped = 0
        for actor in idle[:max(0, spare)]:
            self._drop(actor)
            stopped += 1
        return stopped

    async def _reap(self) -> None:
        """Stop actors idle too long; replace lost ones up to min_actors."""
        while True:
            await asyncio.sleep(min(5.0, max(0.5, self.s.idle_timeout_s / 4)))
            await self._stop_idle(self.s.idle_timeout_s)
            if self.start_error is None:  # a model that does not load is not retried in a loop
                for _ in range(self.s.min_actors - len(self.actors)):
                    self._start()


def _cause(error) -> BaseException:
    """The exception a remote call raised (a FunctionError stays one), without Ray's wrapper."""
    cause = getattr(error, "cause", None)
    if isinstance(cause, BaseException):
        return cause
    return PoolError(str(error).strip().splitlines()[-1] if str(error).strip() else repr(error))


def _reason(error) -> str:
    """One line on why an actor died, from Ray's multi-line ActorDiedError text."""
    text = str(error)
    for marker in ("Worker exit detail:", "The actor is dead because", "The actor died"):
        at = text.find(marker)
        if at >= 0:
            line = text[at:].split(". ")[0].splitlines()[0].strip()
            return line.removeprefix("Worker exit detail: ")[:300]
    return (text.strip().splitlines() or [type(error).__name__])[0][:300]
