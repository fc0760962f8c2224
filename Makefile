# Two commands do all set-up on a fresh machine with Python 3.11 or 3.12:
#   make demo   assess the bundled example client and print the explained, phased plan
#   make test   run the whole test suite
#   make bench  the speed-and-scale benchmark (bench/RESULTS.md); a few minutes
#   make demo-program  a synthetic agency: its program report and one client's progress (demo/)
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo demo-program test lint golden bench system-deps clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert (3, 11) <= sys.version_info[:2] < (3, 13), "Python 3.11 or 3.12 is needed (durable-rules does not build on 3.13)"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dask]'
	@rm -f $(VENV)/.installed-* && touch $@

system-deps:
	@sh scripts/system-deps.sh

demo: $(STAMP) system-deps
	$(BIN)/groundwork assess examples/school-age-child.json

demo-program: $(STAMP)
	mkdir -p demo && rm -f demo/agency.sqlite demo/agency.sqlite-wal demo/agency.sqlite-shm
	$(BIN)/groundwork program generate --db demo/agency.sqlite --clients 40 --seed 7
	$(BIN)/groundwork program report --db demo/agency.sqlite --format html --out demo/program-report.html
	$(BIN)/groundwork progress C00001 --db demo/agency.sqlite --format html --out demo/progress-C00001.html
	@echo "wrote demo/program-report.html and demo/progress-C00001.html"
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then $(BIN)/python -m webbrowser -t demo/program-report.html; fi

test: $(STAMP) system-deps
	$(BIN)/ruff check
	$(BIN)/mypy
	$(BIN)/groundwork lint --strict
	$(BIN)/groundwork fmt --check knowledge_base/core
	GROUNDWORK_STATIC_CHECKED=1 $(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dask]'
	$(BIN)/python -m bench

golden: $(STAMP)
	$(BIN)/python -m tests.golden --regenerate

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
