# Two commands for a fresh machine with Python 3.11+:
#   make run    set up and chat with the bot in the terminal (SQLite + bundled seed data);
#               with CLAIMBOT_TOKEN set, serve Telegram users instead
#   make test   set up and run the whole suite (lint, types, tests)
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test lint lock translations translation-counts eval train-matcher check-matcher bench cold-start load

# Every package comes from requirements.lock, pinned with hashes; `pip check` fails when
# pyproject.toml asks for something the lock lacks (then run `make lock`).
$(BIN)/claimbot: pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; sys.exit("claimbot needs Python 3.11+") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $@

run: $(BIN)/claimbot
	$(BIN)/claimbot run

lint: $(BIN)/claimbot
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Two workers: the suite spends much of its time waiting on real servers and processes, so
# it runs in about half the time on two cores (5 minutes instead of 9.5).
test: lint
	$(BIN)/pytest -n 2

# Refresh requirements.lock after changing dependencies in pyproject.toml (pins move only
# where they must; `--upgrade` in PIP_COMPILE_FLAGS moves them all).
lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet pip-tools
	.venv-lock/bin/pip-compile --quiet --allow-unsafe --extra=test --generate-hashes \
		--no-emit-find-links --no-emit-index-url --strip-extras $(PIP_COMPILE_FLAGS) \
		--output-file=requirements.lock pyproject.toml

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
translation-counts: $(BIN)/claimbot
	$(BIN)/python tests/bench/translation_counts.py

eval: $(BIN)/claimbot
	$(BIN)/python tests/eval/evaluate.py

# Retrain the matcher's decision on the development questions (bot/matching/decision_model.json).
train-matcher: $(BIN)/claimbot
	$(BIN)/python tests/eval/train_decision.py

# Fails when the committed decision model is not what `make train-matcher` writes.
check-matcher: $(BIN)/claimbot
	$(BIN)/python tests/eval/train_decision.py --check

cold-start: $(BIN)/claimbot
	$(BIN)/python tests/bench/cold_start.py

bench: $(BIN)/claimbot
	$(BIN)/python tests/bench/bench_matching.py

load: $(BIN)/claimbot
	$(BIN)/python tests/load/load_test.py --users 200 --questions 4000
