"""`lakelens shell --connect` is a client of the gateway."""

from __future__ import annotations

import re
import subprocess

import pytest

from .conftest import LAKELENS


@pytest.mark.parametrize("protocol", ["hiveserver2", "flight"])
def test_shell_connect_runs_statements_and_reports_errors(server, shop, protocol):
    script = "USE gw.shop;\nSELECT id, name FROM items WHERE id = 1;\nSELEC 1;\n"
    address = server.flight_uri if protocol == "flight" else f"{server.host}:{server.port}"
    done = subprocess.run([str(LAKELENS), "--home", str(server.home), "shell", "--connect", address],
                          input=script, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert re.search(r"\|\s*1\s*\|\s*pen\s*\|", done.stdout), done.stdout
    assert "PARSE_SYNTAX_ERROR" in done.stderr and "line 1, column 7" in done.stderr


def test_shell_connect_to_nothing_fails_clearly(tmp_path):
    done = subprocess.run([str(LAKELENS), "--home", str(tmp_path), "shell", "--connect", "127.0.0.1:1"],
                          input="", capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "cannot connect to lakelens at 127.0.0.1:1" in done.stderr


def test_shell_connect_put_and_get_go_through_the_files_api(server, tmp_path):
    """PUT/GET name the client's files: the shell moves them through the server's Files API."""
    import os

    from .conftest import hive_connect

    conn = hive_connect(server)
    conn.cursor().execute("CREATE VOLUME IF NOT EXISTS main.default.shell_files")
    conn.close()
    local = tmp_path / "up.bin"
    local.write_bytes(os.urandom(100_000))
    folder = "/Volumes/main/default/shell_files/uploads"
    script = (f"PUT '{local}' INTO '{folder}/';\n"
              f"LIST '{folder}';\n"
              f"GET '{folder}/up.bin' TO '{tmp_path}/back.bin';\n"
              f"PUT '{local}' INTO '{folder}/';\n")
    done = subprocess.run([str(LAKELENS), "--home", str(tmp_path / "client-home"), "shell", "--connect",
                           f"{server.host}:{server.port}", "--http-port", str(server.http_port)],
                          input=script, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "local_path" in done.stdout and "up.bin" in done.stdout  # PUT's and GET's results (paths may be cut)
    assert (tmp_path / "back.bin").read_bytes() == local.read_bytes()
    assert "already exists" in done.stderr  # the second PUT, without OVERWRITE
    server.wait_for_log(r"Files API: \S+ uploaded /Volumes/main/default/shell_files/uploads/up\.bin")
