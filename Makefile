# `make run`  — set everything up, build the demo lakehouse, open the SQL shell on it.
# `make test` — set everything up and run the whole test suite.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages: espeak-ng speaks the demo's recordings, postgresql backs the
# PostgreSQL metastore tests, Java 17 runs Spark.
APT_PACKAGES := espeak-ng postgresql openjdk-17-jre-headless

.PHONY: setup system venv run demo shell test bench clean

setup: system venv

system:
	@need=""; \
	command -v espeak-ng >/dev/null || need="$$need espeak-ng"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$$need postgresql"; \
	command -v java >/dev/null || need="$$need openjdk-17-jre-headless"; \
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

demo: setup
	$(VENV)/bin/lakelens demo

run: demo
	$(VENV)/bin/lakelens shell

test: setup
	$(PY) -m pytest -q tests

bench: setup
	$(PY) bench/planning.py
	$(PY) bench/listing.py

clean:
	rm -rf $(VENV) build *.egg-info bench/results
