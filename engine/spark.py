"""Starting Spark with Delta and Iceberg configured, and the sessions made from it.

Starting Spark costs 10–20 s, so the root session is created once per process (the engine's
Runtime owns it) and every lakelens session gets a cheap `newSession()` of it (own SQL conf
and current state, shared JVM and caches). Spark never learns lakelens names: it is handed
physical locations.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from pathlib import Path

from lakelens.catalog.storage import join
from lakelens.sql.plans import ICEBERG_SPARK_CATALOG

from lakelens.engine.config import Config, log4j_path


def _builder_conf(cfg: Config) -> dict[str, str]:
    conf = cfg.spark_conf()
    packages = [cfg.get("packages.delta"), cfg.get("packages.iceberg")]
    if cfg.uses_object_storage:
        # Hadoop's s3a connector and the AWS SDK v2 modules it needs, not the 500+ MB bundle.
        packages.append(cfg.get("packages.s3"))
        excludes = [e for e in conf.get("spark.jars.excludes", "").split(",") if e]
        conf["spark.jars.excludes"] = ",".join(excludes + ["software.amazon.awssdk:bundle"])
        # `s3://` locations (what the catalog stores) go through s3a as well.
        conf.setdefault("spark.hadoop.fs.s3.impl", "org.apache.hadoop.fs.s3a.S3AFileSystem")
        conf.setdefault("spark.hadoop.fs.AbstractFileSystem.s3.impl", "org.apache.hadoop.fs.s3a.S3A")
        # s3a's default chain plus the shared credentials file (~/.aws/credentials), as the
        # Python side's AWS SDK chain has it.
        conf.setdefault("spark.hadoop.fs.s3a.aws.credentials.provider", ",".join([
            "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider",
            "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
            "software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider",
            "software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider",
            "org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider"]))
    extra = conf.pop("spark.jars.packages", "")
    conf["spark.jars.packages"] = ",".join(p for p in packages + extra.split(",") if p)
    conf.setdefault("spark.sql.extensions", ",".join([
        "io.delta.sql.DeltaSparkSessionExtension",
        "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions"]))
    conf.setdefault("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
    conf.setdefault("spark.sql.warehouse.dir", str(cfg.home / "spark-warehouse"))
    conf.setdefault("spark.jars.ivy", str(Path(os.environ.get("LAKELENS_IVY_HOME", "~/.ivy2.5.2")).expanduser()))
    java_opts = f"-Dlog4j2.configurationFile=file:{log4j_path()} -Dderby.system.home={cfg.home}"
    conf["spark.driver.extraJavaOptions"] = (conf.get("spark.driver.extraJavaOptions", "") + " " + java_opts).strip()
    # Workers must run the same interpreter as the driver (the project's virtualenv).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    return conf


@contextlib.contextmanager
def _redirect_fds(target_fd: int):
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        os.dup2(target_fd, 1)
        os.dup2(target_fd, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


def start_root(cfg: Config):
    """Start the process's SparkSession (the engine's Runtime calls this once and keeps it)."""
    from pyspark.sql import SparkSession

    logging.getLogger("py4j").setLevel(logging.ERROR)
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    logging.getLogger("pyspark").setLevel(logging.ERROR)
    # pyspark's own deprecation notices (getErrorClass) are not the user's business.
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"pyspark\..*")
    builder = SparkSession.builder
    for k, v in _builder_conf(cfg).items():
        builder = builder.config(k, v)
    # The JVM inherits our stdout/stderr: send its launch chatter (Ivy resolution, JVM
    # warnings) and later log output to a file in the home instead of the user's terminal.
    log_dir = cfg.home / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "spark.log", "ab") as log, _redirect_fds(log.fileno()):
        root = builder.getOrCreate()
    root.sparkContext.setLogLevel("ERROR")
    return root


def sql(spark, text: str):
    """`spark.sql(text)` in one py4j round trip. PySpark's `SparkSession.sql` turns its empty
    argument list into a Java array on every call (four more round trips, ~1 ms of a
    `SELECT 1`); the JVM's one-argument overload needs none."""
    from pyspark.sql.dataframe import DataFrame

    return DataFrame(spark._jsparkSession.sql(text), spark)


def new_session(root, cfg: Config):
    """A fresh Spark session sharing the root's JVM, pointed at this home's Iceberg warehouse."""
    spark = root.newSession()
    prefix = f"spark.sql.catalog.{ICEBERG_SPARK_CATALOG}"
    spark.conf.set(prefix, "org.apache.iceberg.spark.SparkCatalog")
    spark.conf.set(f"{prefix}.type", "hadoop")
    spark.conf.set(f"{prefix}.warehouse", join(cfg.warehouse, "iceberg"))
    # Sessions see each other's commits at once (no 30 s table cache).
    spark.conf.set(f"{prefix}.cache-enabled", "false")
    return spark
