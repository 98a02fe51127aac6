# rnnpaper: `make paper` reruns every experiment and rebuilds the report; `make test` checks.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON  ?= python3.11
VENV    := .venv
PY      := $(VENV)/bin/python
PROFILE ?= paper
TEX_PACKAGES := latexmk texlive-latex-base texlive-latex-recommended texlive-latex-extra \
                texlive-fonts-recommended texlive-science
export PYTHONPATH := $(CURDIR)

NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]-*.ipynb))
EXECUTED  := $(patsubst notebooks/%.ipynb,build/executed/%.ipynb,$(NOTEBOOKS))
PACKAGE   := $(shell find rnnpaper -name "*.py")
PAPER_SRC := paper/rnnpaper.tex $(wildcard paper/*.bib paper/sections/*.tex)

.PHONY: help paper pdf notebooks test lint format lab venv tex clean benchmark \
        book smoke-notebooks chromium clean-book classify

help: ## list the targets
	@echo "rnnpaper: make <target>"
	@grep -hE '^[a-zA-Z_/.-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  %-20s %s\n", $$1, $$2}'
	@echo "Variables: PROFILE=$(PROFILE) (notebook profile for 'notebooks'/'paper'),"
	@echo "           RNNPAPER_DATA_DIR (folder holding <dataset>/{train,validation,test}.jsonl.gz)"

paper: paper/rnnpaper.pdf ## rerun every notebook at paper scale, then build paper/rnnpaper.pdf

notebooks: $(EXECUTED) ## execute every notebook into build/executed/ (PROFILE=paper)

pdf: | tex ## compile the PDF from the committed tables and figures only (no experiments)
	cd paper && latexmk -g -pdf -interaction=nonstopmode -halt-on-error -quiet rnnpaper.tex

test: venv tex ## lint, unit tests, and every notebook at its cheap defaults (pytest --nbmake)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 $(VENV)/bin/pytest tests
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 $(VENV)/bin/pytest --nbmake --nbmake-timeout=900 $(NOTEBOOKS)

lint: venv ## ruff check and format check only
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: venv ## apply ruff's fixes and formatting; strip notebook outputs
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .
	$(VENV)/bin/nbstripout $(NOTEBOOKS)

# Jupyter refuses to start as root without --allow-root; containers usually run as root.
LAB_ROOT = $(if $(filter 0,$(shell id -u)),--allow-root)
lab: venv ## open JupyterLab on the notebooks (extra options: LAB_ARGS="--no-browser --ip=0.0.0.0")
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(LAB_ROOT) $(LAB_ARGS)

venv: $(VENV)/.installed ## create .venv from requirements.lock (first use only)

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.lock
	$(VENV)/bin/pip install -q --no-deps -e .
	touch $@

tex: ## install TeX (Debian, as root) when latexmk is missing, or say what to install
	@command -v latexmk >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEX_PACKAGES); \
	else \
	  echo "latexmk not found. Install TeX first, e.g. on Debian/Ubuntu:"; \
	  echo "  sudo apt-get install $(TEX_PACKAGES)"; exit 1; \
	fi

# Extra papermill parameters of one notebook at paper scale: NB_PARAMS_<notebook stem>.
NB_PARAMS_07-summarization := -p threads 2

build/executed/%.ipynb: notebooks/%.ipynb $(PACKAGE) | venv
	$(PY) -m rnnpaper.run_notebook $< $@ --profile $(PROFILE) $(NB_PARAMS_$*)

# Notebooks that read another notebook's results, or a benchmark's.
build/executed/05-hmm.ipynb: build/executed/04-word2vec.ipynb
# Timings are measured only by `make benchmark` (or when their file is missing): a rebuild
# from the committed results never re-measures them, whatever the file times after a clone.
build/executed/03-lstm-gru.ipynb: | results/03-lstm-gru/benchmark.json

# The committed measurements' settings (BENCH_ARGS of the studies' config.py; a test checks).
BENCH_ARGS := --threads 1 --reps 5 --processes 3

results/03-lstm-gru/benchmark.json: | venv
	$(PY) benchmarks/bench_cells.py $(BENCH_ARGS)

build/executed/08-proposed-model.ipynb: | results/08-proposed-model/speed.json
# The tuned protocol's and the ablation's committed runs (made outside make paper: README),
# whose tables notebook 06 writes and notebook 08 shows.
PROTOCOL_RUNS := $(wildcard $(foreach f,protocol ablation,results/06-classification/$(f)/*/*.json \
  results/06-classification/$(f)/*/*/*.json))
build/executed/06-classification.ipynb build/executed/08-proposed-model.ipynb: $(PROTOCOL_RUNS)

results/08-proposed-model/speed.json: | venv
	$(PY) benchmarks/bench_glr.py $(BENCH_ARGS) --out $@

benchmark: | venv ## rerun the cell and GLR throughput benchmarks on an idle machine (about 15 min)
	$(PY) benchmarks/bench_cells.py $(BENCH_ARGS)
	$(PY) benchmarks/bench_glr.py $(BENCH_ARGS) --out results/08-proposed-model/speed.json

paper/rnnpaper.pdf: $(PAPER_SRC) $(EXECUTED) | tex
	cd paper && latexmk -g -pdf -interaction=nonstopmode -halt-on-error -quiet rnnpaper.tex

clean: ## remove build products (executed notebooks, LaTeX intermediates); never results/
	rm -rf build/executed build/smoke .pytest_cache .ruff_cache
	cd paper && latexmk -c -quiet rnnpaper.tex 2>/dev/null || true

# The book: README, the PDF and every executed notebook as a static site (book/build.py).
BOOK_FILES     := book/build.py book/conf.py $(wildcard book/static/*)
SMOKE_EXECUTED := $(patsubst notebooks/%.ipynb,build/smoke-executed/%.ipynb,$(NOTEBOOKS))

book: build/book/index.html ## render the executed notebooks, README and the PDF into build/book/ (offline)

build/book/index.html: $(EXECUTED) paper/rnnpaper.pdf README.md $(BOOK_FILES) | venv
	$(PY) book/build.py --out build/book --pdf paper/rnnpaper.pdf $(EXECUTED)

smoke-notebooks: $(SMOKE_EXECUTED) ## execute every notebook at the smoke profile into build/smoke-executed/ (the book test's input)

build/smoke-executed/%.ipynb: notebooks/%.ipynb $(PACKAGE) | venv
	$(PY) -m rnnpaper.run_notebook $< $@ --profile smoke

build/smoke-executed/05-hmm.ipynb: build/smoke-executed/04-word2vec.ipynb

chromium: ## install Chromium (Debian, as root) for the book's browser test, or say what to install
	@command -v chromium >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
	  echo "chromium not found: tests/test_book.py will be skipped. On Debian/Ubuntu:"; \
	  echo "  sudo apt-get install chromium"; \
	fi

test: chromium

clean: clean-book

clean-book: ## remove the books, the smoke-profile executed notebooks and the screenshots
	rm -rf build/book build/book-src build/book-smoke build/book-smoke-src \
	  build/smoke-executed build/book-screenshots

# Your own data: the classification study on a CSV/TSV/JSONL file (rnnpaper/classify.py).
CLASSIFY_PROFILE = $(if $(filter command line,$(origin PROFILE)),$(PROFILE),smoke)
classify: | venv ## your own data: make classify DATA=file.csv TEXT=col LABEL=col [PROFILE=smoke|paper] [OUT=dir]
	@test -n "$(DATA)" -a -n "$(TEXT)" -a -n "$(LABEL)" || { \
	  echo "usage: make classify DATA=file.csv TEXT=column LABEL=column [PROFILE=smoke|paper] [OUT=dir]"; \
	  echo "e.g.   make classify DATA=examples/reviews.csv TEXT=review LABEL=sentiment"; exit 2; }
	$(PY) -m rnnpaper classify "$(DATA)" --text "$(TEXT)" --label "$(LABEL)" \
	  --profile $(CLASSIFY_PROFILE) $(if $(OUT),--out "$(OUT)")
