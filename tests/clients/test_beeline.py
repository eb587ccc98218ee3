"""beeline and the Hive JDBC driver shipped with pyspark, against `lakelens serve`."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from .conftest import BEELINE, PYSPARK_HOME

JARS = str(PYSPARK_HOME / "jars" / "*")


def beeline(url: str, *args: str, script: str | None = None, timeout=180) -> subprocess.CompletedProcess:
    cmd = [str(BEELINE), "-u", url, "--silent=true", "--outputformat=csv2", "--showWarnings=false", *args]
    if script is not None:
        cmd += ["-e", script]
    env = dict(os.environ, SPARK_HOME=str(PYSPARK_HOME))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def test_beeline_lists_tables_and_selects_from_a_volume(server, shop):
    url = f"jdbc:hive2://{server.host}:{server.port}/shop?catalog=gw"
    out = beeline(url, "-n", "analyst", script="SHOW TABLES; SELECT name, size FROM images ORDER BY name;")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert {"items,shop,false", "cheap,shop,false"} <= set(lines)  # SHOW TABLES: name first
    assert "alpha.png," + str((shop / "alpha.png").stat().st_size) in lines
    assert "gamma.png," + str((shop / "gamma.png").stat().st_size) in lines


def test_beeline_calls_multimodal_functions(server, shop):
    url = f"jdbc:hive2://{server.host}:{server.port}/shop?catalog=gw"
    out = beeline(url, "-n", "analyst", script=(
        "SELECT name, image_info(content).width AS w, phash(content) = phash(content) AS same "
        "FROM images WHERE name = 'alpha.png'; DESCRIBE FUNCTION try_ocr; SELECT try_ocr(X'00') AS t;"))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "alpha.png,120,true" in lines
    assert "Function: try_ocr" in lines and "Class: extract" in lines
    assert lines[-2:] == ["t", "NULL"]  # try_ocr of a non-image: NULL


def test_beeline_tables_and_columns_commands(server, shop, tmp_path):
    url = f"jdbc:hive2://{server.host}:{server.port}/shop?catalog=gw"
    script = tmp_path / "meta.sql"
    script.write_text("!tables\n!columns items\n")
    out = beeline(url, "-n", "analyst", "-f", str(script))
    assert out.returncode == 0, out.stderr
    assert "gw,shop,images,VOLUME" in out.stdout
    price = [line for line in out.stdout.splitlines() if line.startswith("gw,shop,items,price,3,")]
    assert len(price) == 1 and "DECIMAL(10,2)" in price[0]


def test_beeline_reports_errors_with_sqlstate(server):
    out = beeline(f"jdbc:hive2://{server.host}:{server.port}/default", "-n", "analyst",
                  script="SELECT * FROM no_such_table;")
    assert out.returncode != 0
    assert "TABLE_OR_VIEW_NOT_FOUND" in out.stderr and "state=42P01" in out.stderr


def test_beeline_over_http_transport(server, shop):
    url = f"jdbc:hive2://{server.host}:{server.http_port}/shop;transportMode=http;httpPath=cliservice?catalog=gw"
    out = beeline(url, "-n", "analyst", script="SELECT count(*) AS n FROM items;")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "3"


@pytest.mark.skipif(shutil.which("javac") is None, reason="needs a JDK (javac)")
def test_jdbc_database_metadata_walk(server, shop, tmp_path):
    """DBeaver's navigator: catalogs → schemas → tables → columns (+ primary keys), type info,
    functions, then data with the binary column intact."""
    src = os.path.join(os.path.dirname(__file__), "java", "MetadataWalk.java")
    subprocess.run(["javac", "-d", str(tmp_path), "-cp", JARS, src], check=True, capture_output=True, timeout=120)
    url = f"jdbc:hive2://{server.host}:{server.port}/default;auth=noSasl"
    run = subprocess.run(["java", "-cp", f"{tmp_path}:{JARS}", "MetadataWalk", url, "gw"], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    assert "PRODUCT lakelens 0.1.0" in lines
    assert {"CATALOG gw", "CATALOG main", "SCHEMA gw.shop", "TABLE gw.shop.images VOLUME",
            "TABLE gw.shop.items TABLE", "TABLE gw.shop.cheap VIEW"} <= set(lines)
    assert "COLUMN gw.shop.items.price DECIMAL(10,2) 3 3" in lines
    assert "COLUMN gw.shop.images.content BINARY -2 5" in lines
    assert "COLUMN gw.shop.cheap.name STRING 12 2" in lines
    assert not [line for line in lines if line.startswith("PK ")]
    assert "FUNCTION upper" in lines and "CURRENT default" in lines
    assert "RESULT int binary" in lines
    assert ["ROW 1 3", "ROW 3 0"] == [line for line in lines if line.startswith("ROW ")]
