# Two commands matter: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export AWS_DEFAULT_REGION ?= eu-west-1

.PHONY: run test lint typecheck unit package bench load clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

run: $(STAMP)
	@$(PY) -m chalicelib.local.stack

test: lint typecheck package unit

lint: $(STAMP)
	$(VENV)/bin/ruff check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

package: $(STAMP)
	rm -rf out
	$(VENV)/bin/chalice package --stage prod --merge-template infra/template.json out
	$(PY) -m infra.bytecode out/deployment.zip out/sam.json
	$(VENV)/bin/cfn-lint out/sam.json

unit: $(STAMP)
	$(VENV)/bin/pytest -q

# The cold-start figures run the packaged zip, so the package is built first.
bench: package
	$(PY) -m benchmarks.bench

# A bounded locust run against a local stack of its own, then the exactly-once reconciliation.
load: $(STAMP)
	$(PY) -m benchmarks.load --seconds 60 --users 20

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
