# Entrepairs — the two commands. Both create .venv and install what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install browser bench clean

run: install
	$(BIN)/python -m server.devrun

test: install browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Browser tests drive Debian's Chromium; installed here when missing (never downloaded by
# Playwright).
browser:
	@bash scripts/ensure-chromium

bench: install
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) instance *.egg-info
