# Two commands for a fresh machine: `make run` (set up, start the app on the sample data)
# and `make test` (set up, run every test). Setup is incremental: the virtual environment is
# rebuilt only when a requirements file changes.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: setup run test bench browser

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

# Debian's chromium drives the browser test; Playwright cannot download its own browser here.
browser:
	@test -x $(CHROMIUM) || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

run: setup
	$(PY) cli.py stats
	$(VENV)/bin/streamlit run app.py --server.headless true

test: setup browser
	$(PY) -m pytest

bench: setup
	for script in bench/*.py; do $(PY) $$script || exit 1; done
