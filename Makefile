# ansible-inspec-rs — the single entry point. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV     ?= .venv
PY       := $(VENV)/bin/python
PYTHON3  ?= python3
export PYO3_PYTHON := $(abspath $(PY))
# cargo test (no Python) and maturin builds use different pyo3 settings: keep their targets apart.
CORE_TARGET := target/rs-test
LINT_TARGET := target/lint

.PHONY: help run test venv build lint fmt rust-test py-test bench bench-quick bench-deps clean fuzz

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | column -t -s$$'\t'

$(VENV)/.deps: requirements-dev.txt
	@test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.deps ## create/update .venv with the dev tools

build: venv ## build the extension (release) into .venv
	$(VENV)/bin/maturin develop --release --quiet

run: build ## run the REST server on 127.0.0.1:8080 with the example templates (Ctrl-C stops it)
	$(PY) -m ansible_inspec_rs serve --seed examples/templates.json

fmt: ## format Rust and Python sources
	cargo fmt
	$(VENV)/bin/ruff format python tests benches examples tools
	$(VENV)/bin/ruff check --fix python tests benches examples tools

lint: venv ## rustfmt, clippy, ruff, mypy --strict, stubtest, generated stubs and docs current
	cargo fmt --check
	CARGO_TARGET_DIR=$(LINT_TARGET) cargo clippy --all-targets -- -D warnings
	CARGO_TARGET_DIR=$(LINT_TARGET) cargo clippy --all-targets --no-default-features -- -D warnings
	$(VENV)/bin/ruff check python tests benches examples tools
	$(VENV)/bin/ruff format --check python tests benches examples tools
	$(VENV)/bin/mypy --strict python/ansible_inspec_rs
	$(VENV)/bin/python -m mypy.stubtest ansible_inspec_rs._core
	$(PY) tools/gen_stubs.py --check
	$(PY) -W ignore::RuntimeWarning -m ansible_inspec_rs.schema | diff -u docs/SCHEMA.md - || (echo "docs/SCHEMA.md is out of date: python -m ansible_inspec_rs.schema > docs/SCHEMA.md"; exit 1)

rust-test: ## cargo test of the pure-Rust core (no Python), then the binding layer's own unit tests
	CARGO_TARGET_DIR=$(CORE_TARGET) cargo test --no-default-features
	PYTHONPATH=$(abspath python):$$($(PY) -c 'import site; print(site.getsitepackages()[0])') \
		CARGO_TARGET_DIR=$(CORE_TARGET) cargo test --lib python::

py-test: build ## pytest (real subprocesses, real servers)
	$(PY) -m pytest -q

test: build lint rust-test bench-quick py-test ## everything CI runs; ends with pytest's summary line

bench-deps: venv
	$(PY) -m pip install --quiet -r requirements-bench.txt

bench: build bench-deps ## benchmarks, printing ratios against baselines measured in the same run
	$(PY) benches/executor.py
	$(PY) benches/server.py
	$(PY) benches/parser.py
	CARGO_TARGET_DIR=$(CORE_TARGET) cargo run --quiet --release --no-default-features --example parse_bench
	$(PY) benches/store.py
	$(PY) benches/store_scaleout.py
	$(PY) benches/ssh.py
	$(PY) benches/native.py

# The same benchmarks at tiny sizes, one round each: `make test` fails when one breaks. No numbers are checked.
bench-quick: build bench-deps ## every benchmark once at tiny sizes (seconds each)
	$(PY) benches/executor.py --quick
	$(PY) benches/server.py --quick
	$(PY) benches/parser.py --quick
	$(PY) benches/store.py --quick
	$(PY) benches/store_scaleout.py --quick
	$(PY) benches/ssh.py --quick
	$(PY) benches/native.py --quick

FUZZ_SECONDS ?= 120
fuzz: ## fuzz the profile lexer/parser for FUZZ_SECONDS (default 120; `make test` runs a short pass)
	FUZZ_SECONDS=$(FUZZ_SECONDS) CARGO_TARGET_DIR=$(CORE_TARGET) cargo test --release --no-default-features \
		profile::tests::fuzz::timed -- --ignored --nocapture

clean: ## remove build outputs and the venv
	rm -rf target $(VENV)
