"""`lakelens shell --connect` is a client of the gateway."""

from __future__ import annotations

import re
import subprocess

from .conftest import LAKELENS


def test_shell_connect_runs_statements_and_reports_errors(server, shop):
    script = "USE gw.shop;\nSELECT id, name FROM items WHERE id = 1;\nSELEC 1;\n"
    done = subprocess.run([str(LAKELENS), "--home", str(server.home), "shell", "--connect",
                           f"{server.host}:{server.port}"], input=script, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert re.search(r"\|\s*1\s*\|\s*pen\s*\|", done.stdout), done.stdout
    assert "PARSE_SYNTAX_ERROR" in done.stderr and "line 1, column 7" in done.stderr


def test_shell_connect_to_nothing_fails_clearly(tmp_path):
    done = subprocess.run([str(LAKELENS), "--home", str(tmp_path), "shell", "--connect", "127.0.0.1:1"],
                          input="", capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "cannot connect to lakelens at 127.0.0.1:1" in done.stderr
