# Two commands for a fresh machine with Python 3.11+:
#   make run    set up and chat with the bot in the terminal (SQLite + bundled seed data);
#               with CLAIMBOT_TOKEN set, serve Telegram users instead
#   make test   set up and run the whole suite (lint, types, tests)
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test lint lock translations translation-counts eval train-matcher check-matcher bench cold-start load

# Every package comes from a lock, pinned with hashes: requirements.lock holds what claimbot
# runs on (`make run`, a deployment), requirements-test.lock the same pins and the test extra
# (`make test`, the reports under tests/). A deployment without the test tools starts faster:
# httpcore imports trio whenever it is installed (selenium brings it), 0.2 s of every start.
# `pip check` fails when pyproject.toml asks for something a lock lacks (then run `make lock`).
$(BIN)/claimbot: pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; sys.exit("claimbot needs Python 3.11+") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $@

TOOLS = $(VENV)/.test-tools
$(TOOLS): $(BIN)/claimbot requirements-test.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements-test.lock
	$(BIN)/pip check
	touch $@

run: $(BIN)/claimbot
	$(BIN)/claimbot run

lint: $(TOOLS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Two workers: the suite spends much of its time waiting on real servers and processes, so
# it runs in about half the time on two cores (5 minutes instead of 9.5).
test: lint
	$(BIN)/pytest -n 2

# Refresh both locks after changing dependencies in pyproject.toml (pins move only where they
# must; `--upgrade` in PIP_COMPILE_FLAGS moves them all). The test lock is held to the
# runtime lock's pins, so installing it beside them changes none.
COMPILE = .venv-lock/bin/pip-compile --quiet --allow-unsafe --generate-hashes \
	--no-emit-find-links --no-emit-index-url --strip-extras
lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet pip-tools
	$(COMPILE) $(PIP_COMPILE_FLAGS) --output-file=requirements.lock pyproject.toml
	$(COMPILE) $(PIP_COMPILE_FLAGS) --extra=test --constraint=requirements.lock \
		--output-file=requirements-test.lock pyproject.toml

# The matcher's figures on the development and held-out questions (and the public sample
# when ../shared/eval is there); exits 1 when a target is missed.
# Extract the strings marked for translation (bot/i18n.py) into bot/locale/claimbot.pot, merge
# them into each language's .po file and compile the .mo files the bot reads (committed).
# Without locations and sorted, so two branches adding strings rarely touch the same lines.
translations: $(BIN)/claimbot
	$(BIN)/pybabel -q extract -F babel.cfg --no-location --sort-output --omit-header --no-wrap \
		-o bot/locale/claimbot.pot bot
	$(BIN)/pybabel -q update -D claimbot -i bot/locale/claimbot.pot -d bot/locale --no-wrap \
		--ignore-obsolete --ignore-pot-creation-date
	$(BIN)/pybabel -q compile -D claimbot -d bot/locale

# How many of the marked strings each language translates.
translation-counts: $(TOOLS)
	$(BIN)/python tests/bench/translation_counts.py

# The project's question set, then the sets written apart from it (see README).
eval: $(TOOLS)
	$(BIN)/python tests/eval/evaluate.py --questions tests/eval/fresh_s8.jsonl \
		--questions tests/eval/negatives_s9.jsonl --questions tests/eval/claimants_figures_s9.jsonl

# Retrain the matcher's decision on the development questions (bot/matching/decision_model.json).
train-matcher: $(TOOLS)
	$(BIN)/python tests/eval/train_decision.py

# Fails when the committed decision model is not what `make train-matcher` writes.
check-matcher: $(TOOLS)
	$(BIN)/python tests/eval/train_decision.py --check

cold-start: $(TOOLS)
	$(BIN)/python tests/bench/cold_start.py

bench: $(TOOLS)
	$(BIN)/python tests/bench/bench_matching.py

load: $(TOOLS)
	$(BIN)/python tests/load/load_test.py --users 200 --questions 4000
