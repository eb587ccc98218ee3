"""Generate Flight SQL's protocol messages (`Flight_pb2`, `FlightSql_pb2`) at build time.

pyarrow ships Arrow Flight (gRPC) but not Flight SQL's protobuf messages. Arrow publishes the
protocol definitions (`Flight.proto`, `FlightSql.proto`) inside its Java `flight-core` jar on
Maven Central; `make setup` runs this module, which fetches that jar once (cached outside the
checkout), takes the two `.proto` files out of it and compiles them with protobuf's compiler
from `grpcio-tools` into this package. The generated modules are not committed.

    python -m lakelens.engine.flight.build_protocol
"""

from __future__ import annotations

import os
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

# The Arrow Java release whose protocol definitions we compile (Flight SQL's messages only ever
# gain fields; clients of other versions interoperate).
ARROW_JAVA = "18.3.0"
JAR_URL = (f"https://repo1.maven.org/maven2/org/apache/arrow/flight-core/{ARROW_JAVA}/"
           f"flight-core-{ARROW_JAVA}.jar")
PROTOS = ("Flight.proto", "FlightSql.proto")
HERE = Path(__file__).resolve().parent


def cached_jar() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lakelens" / "jars"
    jar = cache / f"flight-core-{ARROW_JAVA}.jar"
    if not jar.exists():
        cache.mkdir(parents=True, exist_ok=True)
        partial = jar.with_suffix(".part")
        with urllib.request.urlopen(JAR_URL, timeout=120) as response, open(partial, "wb") as out:
            while chunk := response.read(1 << 20):
                out.write(chunk)
        partial.replace(jar)
    return jar


def build(out: Path = HERE) -> list[Path]:
    from grpc_tools import protoc

    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(cached_jar()) as jar:
        for name in PROTOS:
            (Path(tmp) / name).write_bytes(jar.read(name))
        include = Path(protoc.__file__).parent / "_proto"  # google/protobuf/*.proto
        code = protoc.main(["protoc", f"-I{tmp}", f"-I{include}", f"--python_out={out}",
                            *(str(Path(tmp) / name) for name in PROTOS)])
        if code != 0:
            raise SystemExit(f"protoc failed ({code}) on {', '.join(PROTOS)} of flight-core {ARROW_JAVA}")
    return [out / (Path(name).stem + "_pb2.py") for name in PROTOS]


if __name__ == "__main__":
    for path in build():
        print(f"generated {path}", file=sys.stderr)
