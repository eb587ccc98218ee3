"""Shared fixtures: one lakehouse home and one Spark JVM for the whole test run."""

from __future__ import annotations

import itertools
import json
import os

import pytest

import lakelens

_counter = itertools.count()

# dbt's adapter suite runs in the dbt virtualenv (tests/clients/test_dbt_adapter.py starts it).
collect_ignore = ["dbt_adapter"]


@pytest.fixture(scope="session")
def s3(tmp_path_factory):
    """A real S3-compatible server (Versity Gateway, `make s3-server`) on loopback for the
    whole run, with a bucket `lake`, a bucket `locked` whose configured secret is wrong, a
    bucket name `nowhere` configured with an endpoint nothing listens on, and `flaky` on a
    second server (`s3_flaky`)."""
    from lakelens.engine.devstore import S3Server

    base = tmp_path_factory.mktemp("s3")
    server = S3Server(base / "data", access_log=base / "access.log").start()
    server.create_bucket("lake")
    server.create_bucket("locked")
    # A second server for bucket `flaky`, which a test stops and starts again.
    server.flaky = S3Server(base / "flaky", secret_key=server.secret_key).start()
    server.flaky.create_bucket("flaky")
    yield server
    server.flaky.stop()
    server.stop()


@pytest.fixture
def s3_flaky(s3):
    yield s3.flaky
    if s3.flaky.process is None:
        s3.flaky.start()


def s3_toml(server, storage: str = "", **extra: str) -> str:
    """lakelens.toml lines pointing Spark and lakelens at `server` (s3a keys); `storage`:
    more lines for its [storage] table."""
    conf = {**server.s3a_conf(prefix="hadoop."),
            # Fail fast on a dead endpoint: the fault tests stop the server on purpose.
            "hadoop.fs.s3a.attempts.maximum": "1", "hadoop.fs.s3a.retry.limit": "1",
            "hadoop.fs.s3a.connection.establish.timeout": "2s",
            "hadoop.fs.s3a.bucket.locked.secret.key": "not-the-secret",
            "hadoop.fs.s3a.bucket.nowhere.endpoint": "http://127.0.0.1:9",
            "hadoop.fs.s3a.bucket.flaky.endpoint": server.flaky.endpoint, **extra}
    return f"[storage]\ns3 = \"on\"\n{storage}\n[spark]\n" + "".join(f'"{k}" = "{v}"\n' for k, v in conf.items())


@pytest.fixture(scope="session")
def home(tmp_path_factory, s3):
    """The run's shared home. Spark there has the s3a connector and reaches the `s3` server,
    so object storage is tested in the same JVM as everything else."""
    h = tmp_path_factory.mktemp("lakehouse")
    (h / "lakelens.toml").write_text(s3_toml(s3))
    return h


@pytest.fixture(scope="session", autouse=True)
def _spark_from_the_shared_home(home):
    """Spark's JVM-wide settings (its jars, the s3a connector) come from the first session that
    starts it: start it from the shared home, so which test runs first does not matter."""
    from lakelens.engine.config import Config
    from lakelens.engine.runtime import Runtime

    Runtime.get().spark_root(Config.load(home))


@pytest.fixture(scope="session")
def lake(home):
    """A session on the shared home. Spark starts on its first Spark statement."""
    return lakelens.connect(home=home, user="tester")


@pytest.fixture
def fresh(lake, home, request):
    """A new session whose current catalog is a fresh one for this test (isolation without a new JVM)."""
    name = f"t{next(_counter)}_{request.node.name.split('[')[0][:30].lower()}"
    s = lakelens.connect(home=home, user="tester")
    s.sql(f"CREATE CATALOG {name}")
    s.sql(f"USE CATALOG {name}")
    yield s
    s.sql("USE CATALOG main")
    s.sql(f"DROP CATALOG {name} CASCADE")


def rows(table):
    """Rows as tuples (by position: result columns may share a name)."""
    return list(zip(*[c.to_pylist() for c in table.columns]))


@pytest.fixture
def files_dir(tmp_path):
    d = tmp_path / "local"
    d.mkdir()
    return d


def pytest_configure(config):
    os.environ.setdefault("LAKELENS_HOME", str(config.rootpath / ".pytest-lakelens-home"))


TINY_CLIP = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "head_width": 32, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory):
    """A randomly initialised open_clip model: its config JSON and checkpoint file."""
    import open_clip
    import torch

    d = tmp_path_factory.mktemp("clip")
    config = d / "lakelens-tiny-clip.json"
    config.write_text(json.dumps(TINY_CLIP))
    open_clip.add_model_config(str(config))
    torch.manual_seed(0)
    model = open_clip.create_model("lakelens-tiny-clip", pretrained=None)
    weights = d / "tiny_clip.pt"
    torch.save(model.state_dict(), weights)
    return {"model": str(config), "weights": str(weights), "device": "cpu"}
