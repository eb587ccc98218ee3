# `make run`  — set everything up, build the demo lakehouse and serve it over HiveServer2
#               (beeline, JDBC, PyHive, dbt) and Arrow Flight SQL (ADBC, the Flight SQL JDBC
#               driver); the connection strings are printed.
# `make test` — set everything up and run the whole test suite.
# `make run-s3` — the same as `make run` with the warehouse on a local S3-compatible server.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DBT_VENV ?= .venv-dbt
FLIGHT_PB := engine/flight/FlightSql_pb2.py
CONSOLE_PAGE := engine/console/static/index.html
WEB_SOURCES := $(wildcard web/src/*) web/index.html web/package.json web/package-lock.json web/tsconfig.json web/vite.config.ts
# Debian packages: espeak-ng speaks the demo's recordings, tesseract-ocr (English and German
# models) backs ocr(), fonts-wqy-microhei (1.6 MB) renders the Chinese text rapidocr is tested
# on, postgresql backs the PostgreSQL metastore tests, a Java 17 JDK runs Spark and compiles
# the JDBC client test.

.PHONY: setup system venv dbt-venv s3-server flight-jdbc run run-s3 demo serve shell test bench bench-dedup clean

# The virtualenvs, the S3 server's build and the JDBC driver's download are independent: one parallel step.
setup: system
	@$(MAKE) --no-print-directory -j4 venv dbt-venv s3-server flight-jdbc

system:
	@need=""; \
	command -v espeak-ng >/dev/null || need="$$need espeak-ng"; \
	command -v tesseract >/dev/null || need="$$need tesseract-ocr"; \
	for l in eng deu; do [ -e /usr/share/tesseract-ocr/5/tessdata/$$l.traineddata ] || need="$$need tesseract-ocr-$$l"; done; \
	[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need="$$need fonts-wqy-microhei"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$$need postgresql"; \
	command -v javac >/dev/null || need="$$need openjdk-17-jdk-headless"; \
	command -v openssl >/dev/null || need="$$need openssl"; \
	command -v chromium >/dev/null || need="$$need chromium"; \
	command -v npm >/dev/null || need="$$need nodejs npm"; \
	if [ -n "$$need" ]; then \
	  echo "installing system packages:$$need"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$need >/dev/null; \
	fi

venv: $(VENV)/.installed $(FLIGHT_PB) $(CONSOLE_PAGE)

$(VENV)/.installed: pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

# Arrow Flight SQL's protocol messages (engine/flight/*_pb2.py) are generated, not committed:
# from the .proto files inside Arrow's flight-core jar on Maven Central, with protobuf's
# compiler from grpcio-tools (engine/flight/build_protocol.py).
$(FLIGHT_PB): $(VENV)/.installed engine/flight/build_protocol.py
	$(PY) -m lakelens.engine.flight.build_protocol

# The web console's page: a TypeScript application (web/) built by Vite into engine/console/static/
# (not committed). `npm ci` installs exactly what web/package-lock.json records. Vite is pinned
# to 8.3.4: 8.4 declares a Windows-only optional dependency that npm leaves out of the lockfile,
# and `npm ci` then refuses the lockfile as out of sync (measured with npm 11.19).
$(CONSOLE_PAGE): $(WEB_SOURCES)
	cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build

# The Arrow Flight SQL JDBC driver (one 45 MB jar from Maven Central) for the JDBC client test,
# cached outside the checkout like the S3 server.
FLIGHT_JDBC ?= $(HOME)/.cache/lakelens/jars/flight-sql-jdbc-driver-18.3.0.jar
flight-jdbc: $(FLIGHT_JDBC)

$(FLIGHT_JDBC):
	@mkdir -p $(dir $@)
	curl -fsSL --retry 3 -o $@.part https://repo1.maven.org/maven2/org/apache/arrow/flight-sql-jdbc-driver/18.3.0/flight-sql-jdbc-driver-18.3.0.jar
	@mv $@.part $@

# dbt-spark pins thrift<0.23 while the gateway needs thrift 0.25: dbt gets its own
# virtualenv (used by the dbt client test and dbt's adapter test suite, tests/dbt_adapter).
# dbt-core 1.12 does not install here; 1.11 does, with the dbt-tests-adapter of its minor.
dbt-venv: $(DBT_VENV)/.installed

$(DBT_VENV)/.installed: Makefile
	@[ -x $(DBT_VENV)/bin/python ] || $(PYTHON) -m venv $(DBT_VENV)
	$(DBT_VENV)/bin/python -m pip install -q --upgrade pip
	$(DBT_VENV)/bin/python -m pip install -q 'dbt-core~=1.11.0' 'dbt-spark[PyHive]~=1.11.0' \
	  'dbt-tests-adapter~=1.11.0' 'pytest>=8' 'pytest-xdist>=3'
	@touch $@

# A real S3-compatible server for the tests, `make run-s3` and bench/storage.py: Versity
# Gateway built from its Go module (Go is on the machine; ~2.5 min once, then cached outside
# the checkout so a fresh clone reuses it). engine/devstore.py runs it.
S3_BIN  ?= $(HOME)/.cache/lakelens/bin/versitygw
GO      ?= $(shell command -v go || echo /usr/local/go/bin/go)
s3-server: $(S3_BIN)

$(S3_BIN):
	@echo "building Versity Gateway (S3 server) into $(dir $(S3_BIN))"
	@mkdir -p $(dir $(S3_BIN))
	GOBIN=$(dir $(S3_BIN)) $(GO) install github.com/versity/versitygw/cmd/versitygw@v1.8.0

demo: setup
	$(VENV)/bin/lakelens demo

serve: setup
	$(VENV)/bin/lakelens serve

run: demo serve

# The demo lakehouse with its warehouse on a local S3 server (objects under $(S3_HOME)/s3-data),
# served over HiveServer2 like `make run`; the S3 server stops with it.
S3_HOME ?= $(HOME)/.lakelens-s3
run-s3: setup
	@mkdir -p $(S3_HOME)
	@$(VENV)/bin/lakelens --home $(S3_HOME) s3-server --configure > $(S3_HOME)/s3-server.log 2>&1 & pid=$$!; \
	trap 'kill $$pid 2>/dev/null' EXIT INT TERM; \
	while ! grep -q '^ready' $(S3_HOME)/s3-server.log 2>/dev/null; do \
	  kill -0 $$pid 2>/dev/null || { cat $(S3_HOME)/s3-server.log; exit 1; }; sleep 0.2; done; \
	cat $(S3_HOME)/s3-server.log; \
	$(VENV)/bin/lakelens --home $(S3_HOME) demo && $(VENV)/bin/lakelens --home $(S3_HOME) serve

shell: setup
	$(VENV)/bin/lakelens shell

# --durations: the slowest tests in CI's log, to keep the suite well under its 40 minutes.
test: setup
	$(PY) -m pytest -q --durations=25 tests

bench: setup
	$(PY) bench/tpch.py
	$(PY) bench/planning.py
	$(PY) bench/listing.py
	$(PY) bench/gateway.py
	$(PY) bench/functions.py
	$(PY) bench/quality.py
	$(PY) bench/operators.py
	$(PY) bench/placement.py
	$(PY) bench/storage.py
	$(PY) bench/console.py

# The dedup benchmarks take about an hour on 2 cores: every method at 100k rows, then exact,
# MinHash and SimHash over 10M documents.
bench-dedup: setup
	$(PY) bench/dedup.py
	$(PY) bench/dedup_scale.py

clean:
	rm -rf $(VENV) $(DBT_VENV) build *.egg-info bench/results
