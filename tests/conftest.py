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
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("lakehouse")


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
