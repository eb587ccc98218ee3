# `make run`  — set everything up, build the demo lakehouse and serve it over HiveServer2
#               (beeline, JDBC, PyHive, dbt); the connection strings are printed.
# `make test` — set everything up and run the whole test suite.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DBT_VENV ?= .venv-dbt
# Debian packages: espeak-ng speaks the demo's recordings, tesseract-ocr (English and German
# models) backs ocr(), postgresql backs the PostgreSQL metastore tests, a Java 17 JDK runs
# Spark and compiles the JDBC client test.

.PHONY: setup system venv dbt-venv run demo serve shell test bench clean

setup: system venv dbt-venv

system:
	@need=""; \
	command -v espeak-ng >/dev/null || need="$$need espeak-ng"; \
	command -v tesseract >/dev/null || need="$$need tesseract-ocr"; \
	for l in eng deu; do [ -e /usr/share/tesseract-ocr/5/tessdata/$$l.traineddata ] || need="$$need tesseract-ocr-$$l"; done; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$$need postgresql"; \
	command -v javac >/dev/null || need="$$need openjdk-17-jdk-headless"; \
	command -v openssl >/dev/null || need="$$need openssl"; \
	if [ -n "$$need" ]; then \
	  echo "installing system packages:$$need"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$need >/dev/null; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

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

demo: setup
	$(VENV)/bin/lakelens demo

serve: setup
	$(VENV)/bin/lakelens serve

run: demo serve

shell: setup
	$(VENV)/bin/lakelens shell

test: setup
	$(PY) -m pytest -q tests

bench: setup
	$(PY) bench/tpch.py
	$(PY) bench/planning.py
	$(PY) bench/listing.py
	$(PY) bench/gateway.py
	$(PY) bench/functions.py
	$(PY) bench/placement.py

clean:
	rm -rf $(VENV) $(DBT_VENV) build *.egg-info bench/results
