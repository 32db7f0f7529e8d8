# Two commands for a fresh machine: `make run` (set up, start the app on the sample data)
# and `make test` (set up, run every test). Setup is incremental: the virtual environment is
# rebuilt only when a requirements file changes.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

# llama-cpp-python compiles llama.cpp. A native build (-march=native) on a CPU with AMX
# (Intel Sapphire Rapids and later) turns on AMX kernels that crash on the default model's
# Q4_K weights, so x86-64 builds name their vector extensions instead; AVX2 keeps the build
# portable across such machines. Override for a GPU: make run LLAMA_CMAKE_ARGS=-DGGML_CUDA=on
ifeq ($(shell uname -m),x86_64)
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
else
LLAMA_CMAKE_ARGS ?=
endif

.PHONY: setup run test bench bench-quick browser lint

# --no-cache-dir for llama-cpp-python: pip's wheel cache ignores CMAKE_ARGS and would reuse
# a wheel built with other flags.
$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --no-cache-dir \
		"$$(grep -E '^llama-cpp-python' requirements.txt)"
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

# Style and types: ruff (lint and format) over the tree, mypy over the library rooms and the CLI.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Each bench prints its lines as its parts finish (-u: unbuffered, also into a pipe or a log).
bench: setup browser
	for script in bench/[!_]*.py; do $(PY) -u $$script || exit 1; done

# Every bench in its quick mode (the same ratios on less work), each run to the end even when
# one before it failed; CI runs it after the tests, so a bench that breaks fails CI.
bench-quick: setup browser
	@failed=""; for script in bench/[!_]*.py; do \
		echo "== $$script --quick"; start=$$(date +%s); \
		$(PY) -u $$script --quick || failed="$$failed $$script"; \
		echo "== $$script: $$(( $$(date +%s) - start )) s"; \
	done; test -z "$$failed" || { echo "benches that failed:$$failed"; exit 1; }
