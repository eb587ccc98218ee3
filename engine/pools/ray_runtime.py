"""Ray for this process: started locally on first need, or joined at `ray.address`.

Nothing here runs until a statement places a call on Ray, so Spark-only work never pays for
Ray (2–5 s to start a local instance, ~400 MB). `ray.address` empty (the default) starts a
small local instance on loopback — dashboard off, object store bounded — that lives and dies
with this process; `auto`, `host:port` (a cluster's GCS) or `ray://host:port` (Ray Client)
joins an existing cluster instead. Spark's Python workers join the same cluster with
`worker_join`, from the address recorded here (`RayRuntime.worker_address`).
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import threading
from dataclasses import dataclass

from lakelens.catalog import LakelensError

from lakelens.engine.config import Config

NAMESPACE = "lakelens"
# A local instance must listen on loopback only (an open GCS runs anyone's code). Ray 2.60
# ignores `_node_ip_address="127.0.0.1"` and binds every interface unless this switch,
# read when `ray` is first imported, turns multi-node support off (measured here).
_LOCAL_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
# Ray's C++ core installs absl's failure-signal handler, which takes SIGTERM away from the
# gateway's graceful shutdown (the server then died with SIGABRT instead of exiting 0).
_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_DISABLE_FAILURE_SIGNAL_HANDLER": "1"}

class RayUnavailable(LakelensError):
    def __init__(self, message: str):
        super().__init__(message, error_class="RAY_UNAVAILABLE", sqlstate="08001")


@dataclass(frozen=True)
class RayRuntime:
    address: str  # what configuration asked for ('' = local)
    worker_address: str  # what Spark's workers pass to ray.init
    env: tuple[tuple[str, str], ...]  # environment the workers set before joining
    local: bool


def gpu_count_here() -> int:
    """GPUs this machine shows (nvidia-smi), unless CUDA_VISIBLE_DEVICES hides them."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return 0
    if not shutil.which("nvidia-smi"):
        return 0
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    count = sum(1 for line in out.splitlines() if line.startswith("GPU "))
    if visible:
        count = min(count, len([v for v in visible.split(",") if v.strip()]))
    return count


def _env(local: bool) -> dict[str, str]:
    env = {**_ENV, **(_LOCAL_ENV if local else {})}
    if os.path.exists(os.path.expanduser("~/.ray/auth_token")):
        env["RAY_AUTH_MODE"] = "token"
    return env


def _check_reachable(address: str) -> None:
    """A TCP connect before ray.init: Ray itself retries an unreachable GCS for a minute."""
    hostport = address.removeprefix("ray://")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise RayUnavailable(f"ray.address must be empty, 'auto', host:port or ray://host:port, got {address!r}")
    try:
        with socket.create_connection((host, int(port)), timeout=5):
            pass
    except OSError as e:
        raise RayUnavailable(f"cannot reach Ray at {address} (ray.address): {e.strerror or e}") from None


def local_resources(config: Config) -> dict[str, int]:
    """What a local instance is (or will be) started with: `ray.num_cpus`, `ray.num_gpus`,
    `ray.object_store_memory`, else all cores, the GPUs nvidia-smi lists, 1 GiB."""
    gpus = config.number("ray.num_gpus", None, int, 0)
    return {"CPU": config.number("ray.num_cpus", os.cpu_count() or 1, int, 1),
            "GPU": gpu_count_here() if gpus is None else gpus,
            "object_store_memory": config.number("ray.object_store_memory", 1 << 30, int, 1)}


def check_same(runtime: RayRuntime, config: Config) -> None:
    """A process joins one Ray: a session configured with another `ray.address` is refused."""
    address = (config.get("ray.address") or "").strip()
    if address != runtime.address:
        if address and address != "auto":
            _check_reachable(address)
        raise RayUnavailable(f"this process already uses Ray at {runtime.worker_address}; "
                             f"ray.address = {address!r} takes effect after a restart")


def start(config: Config) -> RayRuntime:
    """Join (`ray.address` set) or start (empty) Ray. Called once per process, by the
    engine's Runtime, which keeps the result."""
    address = (config.get("ray.address") or "").strip()
    env = _env(local=not address)
    os.environ.update(env)
    try:
        import ray
    except ImportError as e:  # pragma: no cover - ray is a dependency
        raise RayUnavailable(f"the ray package is not installed ({e})") from None
    if not address:  # imported before us (by user code): apply the switch all the same
        from ray._private import ray_constants

        ray_constants.ENABLE_RAY_CLUSTER = False
    quiet = dict(namespace=NAMESPACE, log_to_driver=False, logging_level=logging.ERROR)
    init = _from_keeper_thread(ray.init)
    if not address:
        local = local_resources(config)
        try:
            init(num_cpus=local["CPU"], num_gpus=local["GPU"], object_store_memory=local["object_store_memory"],
                 include_dashboard=False, **quiet)
        except Exception as e:
            raise RayUnavailable(f"could not start a local Ray instance: {e}") from None
        worker_address = ray.get_runtime_context().gcs_address
    else:
        if address != "auto":
            _check_reachable(address)
        try:
            init(address=address, **quiet)
        except Exception as e:
            raise RayUnavailable(f"cannot join Ray at {address} (ray.address): {e}") from None
        worker_address = ray.get_runtime_context().gcs_address if address == "auto" else address
    return RayRuntime(address, worker_address, tuple(sorted(env.items())), local=not address)


def _from_keeper_thread(fn):
    """Run `fn` on a thread that never ends. Ray starts its local processes with
    PR_SET_PDEATHSIG: they are killed when the *thread* that started them exits, and
    statements run on gateway and client threads that come and go (measured: a local Ray
    started from a finished thread was gone 3 s later)."""
    def call(*args, **kwargs):
        box, done = {}, threading.Event()

        def body():
            try:
                box["value"] = fn(*args, **kwargs)
            except BaseException as e:  # handed to the caller
                box["error"] = e
            done.set()
            threading.Event().wait()

        threading.Thread(target=body, name="lakelens-ray", daemon=True).start()
        done.wait()
        if "error" in box:
            raise box["error"]
        return box["value"]

    return call


def cluster_resources() -> dict[str, float]:
    import ray

    return dict(ray.cluster_resources())


def worker_join(runtime: RayRuntime) -> None:
    """In a Spark Python worker: join the driver's Ray cluster once per worker process."""
    os.environ.update(dict(runtime.env))  # before `import ray` reads it
    import ray

    if ray.is_initialized():
        return
    ray.init(address=runtime.worker_address, namespace=NAMESPACE, log_to_driver=False,
             logging_level=logging.ERROR)
