"""Secrets stay secret: `lakelens config`, catalog errors, client passwords, serve's defaults."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.clients.conftest import LAKELENS


def lakelens(home, *args, input=None, env=None):
    return subprocess.run([str(LAKELENS), "--home", str(home), *args], input=input, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("key,value,shown", [
    ("catalog.url", "postgresql://u:topsecret@h/db", "postgresql://u:***@h/db"),
    ("catalog.url", "postgresql+psycopg2://admin:topsecret@db.example:5432/meta?sslmode=require",
     "postgresql+psycopg2://admin:***@db.example:5432/meta?sslmode=require"),
    ("spark.jars.repositories", "https://me:topsecret@repo.example/maven", "https://me:***@repo.example/maven"),
    ("spark.authenticate.secret", "topsecret", "***"),
    ("spark.ssl.keyPassword", "topsecret", "***"),
    ("spark.ssl.keyStorePassword", "topsecret", "***"),
    ("spark.hadoop.fs.s3a.access.key", "topsecret", "***"),
    ("spark.hadoop.fs.s3a.secret.key", "topsecret", "***"),
    ("spark.hadoop.fs.s3a.session.token", "topsecret", "***"),
    ("udf.ocr.api_token", "topsecret", "***"),
    ("spark.hadoop.google.cloud.auth.credentials", "topsecret", "***"),
    ("a.jdbc.url", "jdbc:postgresql://h/db?user=u&password=topsecret", "jdbc:postgresql://h/db?user=u&password=***"),
])
def test_config_redacts(tmp_path, key, value, shown):
    from lakelens.engine.config import redact

    assert redact(key, value) == shown
    done = lakelens(tmp_path, "--conf", f"{key}={value}", "config")
    assert done.returncode == 0, done.stderr
    assert "topsecret" not in done.stdout + done.stderr
    assert shown in done.stdout


def test_config_keeps_what_is_not_secret(tmp_path):
    from lakelens.engine.config import redact

    for key, value in [("spark.ssl.keyStore", "/etc/ks.jks"), ("spark.driver.memory", "2g"),
                       ("catalog.url", "sqlite:////tmp/m.db"), ("session.user", "bob"),
                       ("gateway.files.max_upload_bytes", "5368709120"), ("udf.clip.weights", "/models/w.bin")]:
        assert redact(key, value) == value
    done = lakelens(tmp_path, "config")
    assert "gateway.files.max_upload_bytes" in done.stdout and "5368709120" in done.stdout


def test_catalog_errors_do_not_print_the_url_password(tmp_path):
    """A PostgreSQL catalog that cannot be reached: a one-line error, the password hidden."""
    pytest.importorskip("psycopg2")
    url = "postgresql+psycopg2://u:topsecret@127.0.0.1:1/db"
    done = lakelens(tmp_path, "--conf", f"catalog.url={url}", "user", "list")
    assert done.returncode == 1
    assert "topsecret" not in done.stdout + done.stderr
    assert "postgresql+psycopg2://u:***@127.0.0.1:1/db" in done.stderr
    assert "Traceback" not in done.stderr


def test_shell_password_on_the_command_line_is_warned_about(tmp_path):
    done = lakelens(tmp_path, "shell", "--connect", "127.0.0.1:1", "--user", "u", "--password", "topsecret", input="")
    assert done.returncode == 1
    assert "visible to other users" in done.stderr and "--password-stdin" in done.stderr
    assert "topsecret" not in done.stderr
    for quiet in (["--password-stdin"], []):
        done = lakelens(tmp_path, "shell", "--connect", "127.0.0.1:1", "--user", "u", *quiet,
                        input="topsecret\n", env={"LAKELENS_PASSWORD": "topsecret"})
        assert done.returncode == 1 and "cannot connect" in done.stderr
        assert "visible to other users" not in done.stderr and "topsecret" not in done.stderr


def _serve_args(*argv):
    from lakelens.engine.cli.main import build_parser

    return build_parser().parse_args(["serve", *argv])


def test_serve_refuses_anonymous_on_a_network_address():
    from lakelens.engine.cli.main import serve_safety

    for auth in ("none", "nosasl"):
        with pytest.raises(SystemExit) as refused:
            serve_safety(_serve_args("--host", "0.0.0.0", "--auth", auth))
        assert "--allow-anonymous" in str(refused.value.code)
        [warning] = serve_safety(_serve_args("--host", "0.0.0.0", "--auth", auth, "--allow-anonymous"))
        assert "anyone" in warning
    assert serve_safety(_serve_args("--host", "127.0.0.1", "--auth", "none")) == []
    assert serve_safety(_serve_args("--host", "localhost")) == []
    assert serve_safety(_serve_args("--host", "::1", "--auth", "nosasl")) == []


def test_serve_warns_about_plain_passwords_without_tls():
    from lakelens.engine.cli.main import serve_safety

    [warning] = serve_safety(_serve_args("--host", "0.0.0.0", "--auth", "plain"))
    assert "passwords travel in clear" in warning
    assert serve_safety(_serve_args("--host", "0.0.0.0", "--auth", "plain", "--ssl-cert", "c.pem",
                                    "--ssl-key", "k.pem")) == []
    assert serve_safety(_serve_args("--auth", "plain")) == []


def test_serve_refusal_through_the_cli(tmp_path):
    """The refusal comes before anything starts (no port is bound, no Spark)."""
    done = lakelens(tmp_path, "serve", "--host", "0.0.0.0", "--port", "0", "--http-port", "0")
    assert done.returncode != 0 and "--allow-anonymous" in done.stderr
