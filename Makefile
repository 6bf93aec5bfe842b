# make run: set up .venv and open idm-tui (which starts idmd if none runs).
# make test: set up .venv and run every test. make bench: the benchmarks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@# Byte-code up front: the daemon's start-up is then not spent compiling (and some
	@# environments set PYTHONDONTWRITEBYTECODE, so it would be compiled on every start).
	$(BIN)/python -m compileall -q idmd idm_tui
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/idm-tui

test: $(STAMP)
	@if [ -d chrome-extension/test ] && command -v node >/dev/null; then \
		node --test chrome-extension/test/ || exit 1; \
	else echo "skipping the extension's Node tests: node is not installed"; fi
	$(BIN)/ruff check idmd idm_tui tests
	$(BIN)/ruff format --check idmd idm_tui tests
	$(BIN)/mypy idmd idm_tui
	$(BIN)/python -m pytest -q -p no:cacheprovider tests

bench: $(STAMP)
	$(BIN)/python -m pytest -q -s -p no:cacheprovider tests/bench

lint: $(STAMP)
	$(BIN)/ruff check idmd idm_tui tests
	$(BIN)/ruff format --check idmd idm_tui tests

clean:
	rm -rf $(VENV) build *.egg-info
