# Two commands on a fresh machine: `make plan STACK=prod` and `make test`.
# Everything installs on first use into .venv (uv, from the package registry).
STACK ?= dev
PYTHON ?= python3
UV := $(PYTHON) -m uv

.venv/.synced: pyproject.toml uv.lock
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

.PHONY: install plan test demo bench
install: .venv/.synced

plan: .venv/.synced ## Render STACK offline (no AWS account, no Pulumi CLI)
	.venv/bin/mlops plan $(STACK)

test: .venv/.synced ## Run the whole test suite
	.venv/bin/python -m pytest

demo: .venv/.synced ## The whole model lifecycle against moto's server on 127.0.0.1 (a few minutes)
	.venv/bin/python -m mlops.demo

bench: .venv/.synced ## Plan time and size per stack, resources per model per environment
	.venv/bin/python tests/benchmarks/plan_benchmark.py
