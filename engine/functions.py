"""Registering the multimodal functions a plan uses as Spark Arrow UDFs.

Each `UdfBinding` (one call site's function, folded literal options and error mode) becomes
one Arrow UDF in the statement's Spark session, registered the first time a statement of
that session needs it. Where the body runs depends on the call's placement (placement.py):

* `spark`: the body calls `lakelens.udfs.evaluate`, which keeps one model instance per Python
  worker process (Spark reuses its workers), so a model loads once per worker;
* `ray`: the body forwards the Arrow batch to the function's Ray actor pool (pool_client.py),
  so a model loads once per actor, however many Spark tasks and workers feed it.

Options from configuration (`udf.<name>.<key>`, e.g. `udf.transcribe.model`) are read here and
travel with the UDF to the workers and actors.
"""

from __future__ import annotations

import warnings

from lakelens.sql.plans import UdfBinding
from lakelens.udfs import FUNCTIONS

from lakelens.engine.config import Config
from lakelens.engine.errors import reporting
from lakelens.engine.pools.placement import Placement, placement_for



def function_options(binding: UdfBinding, config: Config) -> dict:
    """The implementation's keyword arguments: configuration, then the call's literal options."""
    spec = FUNCTIONS[binding.function]
    options = {}
    for key, default, _ in spec.config:
        value = config.get(f"udf.{spec.config_scope}.{key}", default)
        options[key] = value
    options.update(dict(binding.options))
    return options


def make_udf(binding: UdfBinding, options: dict, pool=None):
    """The Arrow UDF of one binding: evaluating in the worker, or through `pool` (a PoolRef)."""
    from pyspark.sql.functions import ArrowUDFType, arrow_udf

    spec = FUNCTIONS[binding.function]
    name, on_error = binding.function, binding.on_error

    if pool is None:
        def run(*arrays):
            from lakelens.engine import worker_patch
            from lakelens.udfs import evaluate

            worker_patch.install()
            return evaluate(name, options, on_error, *arrays)
    else:
        def run(*arrays):
            from lakelens.engine import worker_patch
            from lakelens.engine.pools.client import call

            worker_patch.install()
            return call(pool, on_error, arrays)

    run = reporting(run)
    run.__name__ = binding.udf_name
    with warnings.catch_warnings():  # pyspark prefers type hints, which *arrays cannot carry
        warnings.simplefilter("ignore", UserWarning)
        return arrow_udf(run, returnType=spec.returns, functionType=ArrowUDFType.SCALAR)


def register(spark, bindings: list[UdfBinding], config: Config, *, plan_only: bool = False,
             workspace: str | None = None, max_gpus: int | None = None) -> None:
    """Make every binding callable by name in `spark` (a session's Spark session).

    `plan_only` (EXPLAIN): register what Spark needs to plan the statement without starting
    Ray or a pool; a later run replaces it with the real UDF."""
    if not bindings:
        return
    from lakelens.engine.runtime import Runtime

    process = Runtime.get()
    with process.lock:
        done = process.registered_udfs(spark)
        for binding in bindings:
            # Registered again when the workspace's max_gpus changes (another placement).
            key = binding.udf_name if max_gpus is None else f"{binding.udf_name}@gpus={max_gpus}"
            if key in done:
                continue
            options = function_options(binding, config)
            if plan_only:
                spark.udf.register(binding.udf_name, make_udf(binding, options))
                continue
            place = placement_for(binding.function, config, max_gpus)
            if max_gpus is not None and max_gpus < 1 and "device" in options:
                options = {**options, "device": "cpu"}  # a workspace without GPUs, in Spark's workers too
            pool = _pool(binding, options, place, config, workspace or "") if place.where == "ray" else None
            spark.udf.register(binding.udf_name, make_udf(binding, options, pool))
            done.difference_update({k for k in done if k.split("@", 1)[0] == binding.udf_name})
            done.add(key)


def _pool(binding: UdfBinding, options: dict, place: Placement, config: Config, scope: str = ""):
    """Join or start Ray, get or create the binding's pool (with the model's device decided)."""
    from lakelens.engine.pools.client import ensure_pool
    from lakelens.engine.pools.dispatcher import PoolSettings
    from lakelens.engine.runtime import Runtime

    process = Runtime.get()
    ray = process.ray(config)
    if "device" in options and options["device"] == "auto":
        # Ray hides GPUs from actors that did not ask for one; say it outright all the same.
        options = {**options, "device": place.device}
    settings = PoolSettings(binding.function, options, place.device, place.num_cpus, place.num_gpus,
                            place.min_actors, place.max_actors, place.idle_timeout_s, place.max_retries,
                            place.batch_size, scope=scope)
    return ensure_pool(ray, settings, process.pool_handles, process.lock)
