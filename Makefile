# Two entry points (README "Quick start"): `make report` and `make test`.
# Each one does all set-up on a fresh machine (Python >= 3.11, pip, node/npm).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The pinned CPU wheel on the project's machines; override for a CUDA build elsewhere.
TORCH_SPEC ?= torch==2.13.0
ARGS ?=

.PHONY: setup report test lint lean bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

report: setup
	$(BIN)/python -m experiments $(ARGS)

test: setup
	$(BIN)/python -m ruff check .
	$(BIN)/python -m pytest -p no:randomly $(ARGS)

lint: setup
	$(BIN)/python -m ruff check .

lean: setup
	$(BIN)/python -m pyverify.lean check

bench: setup
	$(BIN)/python -m benchmarks --quick $(ARGS)

clean:
	rm -rf $(VENV) build .pytest_cache .hypothesis
