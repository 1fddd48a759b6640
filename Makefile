# Two commands for a fresh machine with Python 3 and make:
#   make demo   - a short tour of dualad (ARGS="--help" lists its options)
#   make test   - the whole test suite
#   make docs   - the documentation site (mkdocs, into site/)
#   make bench  - benchmarks against autograd, JAX, PyTorch and mygrad (.venv-bench; ARGS=--quick)
# Each creates (or refreshes) the virtual environment .venv and installs what it needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# notebooks: matplotlib for the demo's plot, nbclient & co. for the notebook tests;
# docs: mkdocs for `make docs` and the test that builds the site;
# sparse, distributed: scipy.sparse results and dask for the LocalCluster test of executor=
EXTRAS := test,notebooks,docs,sparse,distributed

.PHONY: demo test docs bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

demo: $(VENV)/.installed
	$(PY) -m dualad $(ARGS)

test: $(VENV)/.installed
	$(PY) -m pytest -q $(ARGS)

# --strict: a warning (a broken reference, a missing page) fails the build
docs: $(VENV)/.installed
	$(PY) -m mkdocs build --strict --site-dir site

# The benchmark peers live in their own environment, never in .venv (the tests must not
# depend on them). torch goes in first (pinned CPU build); a peer that cannot be installed
# is reported and skipped by the runner.
BENCH_VENV ?= .venv-bench
BPY := $(BENCH_VENV)/bin/python

$(BENCH_VENV)/.installed: pyproject.toml benchmarks/install.py
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BPY) -m pip install --quiet --upgrade pip
	$(BPY) benchmarks/install.py
	touch $@

bench: $(BENCH_VENV)/.installed
	$(BPY) -m benchmarks $(ARGS)

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .hypothesis site build dist
