"""Where a multimodal call runs: in Spark's Python workers, or on a Ray actor pool.

A function's spec says its class (`device="gpu"` for model-backed functions that want an
accelerator and a long-lived model) and its batch size; configuration may override both per
function, under `udf.<function>.<key>` (or the spec's shared scope, e.g. `udf.clip.<key>`):

    placement       auto | spark | ray     auto: GPU-class functions on Ray, the rest in Spark
    num_gpus        GPUs per actor         default: 1 when Ray reports GPUs, else 0 (CPU actors)
    num_cpus        CPUs per actor         default: 1
    batch_size      rows per model call    default: the spec's (also rows per actor call)
    min_actors      actors kept warm       default: 0
    max_actors      actors at most         default: GPUs / num_gpus, or CPUs / num_cpus up to 4
    idle_timeout_s  idle actor lifetime    default: 300 (above min_actors)
    max_retries     retries of a batch whose actor died   default: 3

Resolving needs the cluster's resources only for a Ray placement: locally, before Ray has
started, this machine's GPUs stand in for what the local instance will report.
"""

from __future__ import annotations

from dataclasses import dataclass

from lakelens.udfs import FUNCTIONS

from lakelens.engine.pools import ray_runtime
from lakelens.engine.config import Config, invalid_config

PLACEMENTS = ("auto", "spark", "ray")
MAX_CPU_ACTORS = 4


@dataclass(frozen=True)
class Placement:
    where: str  # spark | ray
    device: str  # cpu | cuda
    batch_size: int
    num_cpus: float = 0.0
    num_gpus: float = 0.0
    min_actors: int = 0
    max_actors: int = 0
    idle_timeout_s: float = 300.0
    max_retries: int = 3

    def explain(self) -> str:
        actors = f"{self.min_actors}..{self.max_actors}" if self.where == "ray" else "-"
        return f"placement={self.where} device={self.device} batch_size={self.batch_size} actors={actors}"


class _Settings:
    """`udf.<function>.<key>`, then `udf.<scope>.<key>`, with the key that was used for messages."""

    def __init__(self, config: Config, function: str):
        self.config, self.spec = config, FUNCTIONS[function]

    def raw(self, key: str) -> tuple[str, str | None]:
        for scope in dict.fromkeys((self.spec.name, self.spec.config_scope)):
            full = f"udf.{scope}.{key}"
            value = self.config.get(full)
            if value is not None:
                return full, value.strip()
        return f"udf.{self.spec.name}.{key}", None

    def number(self, key: str, default, kind=float, minimum=0):
        return self.config.number(self.raw(key)[0], default, kind, minimum)


def spark_device(spec, config: Config) -> str:
    """Device of a call running in Spark's workers: configured, else CUDA for the GPU class
    when this machine shows a GPU."""
    configured = _Settings(config, spec.name).raw("device")[1] or "auto"
    if configured in ("cpu", "cuda"):
        return configured
    return "cuda" if spec.device == "gpu" and ray_runtime.gpu_count_here() else "cpu"


def _ray_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("ray") is not None  # not imported: see ray_runtime


def placement_for(function: str, config: Config, max_gpus: int | None = None) -> Placement:
    """The placement of one call of `function` under `config` (may join Ray, see module doc).
    `max_gpus`: a workspace's limit — its pool holds at most that many GPUs (fewer actors), and
    runs on CPU actors when one actor's GPUs are more than it allows."""
    settings = _Settings(config, function)
    spec = settings.spec
    full, where = settings.raw("placement")
    where = (where or "auto").lower()
    if where not in PLACEMENTS:
        raise invalid_config(full, "auto, spark or ray", where)
    if where == "auto":
        where = "ray" if spec.device == "gpu" and _ray_available() else "spark"
    batch_size = settings.number("batch_size", spec.batch_size, int, 1)
    if where == "spark":
        # In Spark's workers only a model's own batch_size key changes how rows are batched.
        if not any(key == "batch_size" for key, _, _ in spec.config):
            batch_size = spec.batch_size
        device = spark_device(spec, config)
        if max_gpus is not None and max_gpus < 1 and device == "cuda":  # a workspace without GPUs
            device = "cpu"
        return Placement("spark", device, batch_size)

    resources = _resources(config)
    gpus, cpus = resources.get("GPU", 0.0), resources.get("CPU", 1.0)
    device_setting = settings.raw("device")[1]
    wants_gpu = spec.device == "gpu" and gpus >= 1 and device_setting != "cpu"
    num_gpus = settings.number("num_gpus", 1.0 if wants_gpu else 0.0)
    num_cpus = settings.number("num_cpus", 1.0)
    if max_gpus is not None and max_gpus < num_gpus:  # not even one actor's GPUs: CPU actors
        num_gpus = 0.0
    gpu_cap = int(max_gpus // num_gpus) if max_gpus is not None and num_gpus > 0 else None
    if num_gpus > 0:
        default_max = max(1, int(gpus // num_gpus))
    elif num_cpus > 0:
        default_max = max(1, min(MAX_CPU_ACTORS, int(cpus // num_cpus)))
    else:
        default_max = MAX_CPU_ACTORS
    min_actors = settings.number("min_actors", 0, int, 0)
    max_actors = settings.number("max_actors", max(default_max, min_actors), int, 1)
    if gpu_cap is not None:
        max_actors, min_actors = min(max_actors, gpu_cap), min(min_actors, gpu_cap)
    if min_actors > max_actors:
        raise invalid_config(settings.raw("min_actors")[0], f"<= max_actors ({max_actors})", min_actors)
    return Placement("ray", "cuda" if num_gpus > 0 else "cpu", batch_size, num_cpus, num_gpus, min_actors,
                     max_actors, settings.number("idle_timeout_s", 300.0), settings.number("max_retries", 3, int, 0))


def _resources(config: Config) -> dict[str, float]:
    """The cluster's CPUs and GPUs: Ray's word once joined; for a local Ray not yet started,
    what it will be started with (so EXPLAIN does not start Ray)."""
    from lakelens.engine.runtime import Runtime

    process = Runtime.get()
    if process.ray_started or (config.get("ray.address") or "").strip():
        process.ray(config)
        return ray_runtime.cluster_resources()
    return ray_runtime.local_resources(config)
