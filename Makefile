# Two entry points for a fresh machine with Python 3.11+ and make:
#   make run    set up, migrate an SQLite file, load demo data, serve on :8000 (operator token sandbox-ops-token)
#   make test   set up and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The operator token `make run` serves with (a local sandbox); set ORDERDESK_OPS_TOKEN to choose another.
OPS_TOKEN ?= $(or $(ORDERDESK_OPS_TOKEN),sandbox-ops-token)

.PHONY: run test lint bench openapi clean

$(BIN)/.installed: pyproject.toml clients/python/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "orderdesk needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet -e ./clients/python
	@touch $@

run: $(BIN)/.installed
	@ORDERDESK_OPS_TOKEN=$(OPS_TOKEN) $(BIN)/orderdesk demo --base-url http://127.0.0.1:$(PORT)
	@ORDERDESK_OPS_TOKEN=$(OPS_TOKEN) $(BIN)/orderdesk serve --port $(PORT)

# pytest exits 5 when it collected nothing: that is a broken suite, not a pass.
test: $(BIN)/.installed
	@$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/ruff check clients/python
	$(BIN)/ruff format --check clients/python
	$(BIN)/mypy --strict clients/python/src

# Rewrite the published OpenAPI documents under docs/openapi/ from the application.
openapi: $(BIN)/.installed
	$(BIN)/python -m orderdesk.openapi_export

bench: $(BIN)/.installed
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) *.egg-info src/*.egg-info .pytest_cache
