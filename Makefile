# Two commands for a fresh machine with Python 3.11+:
#   make run    set up and chat with the bot in the terminal (SQLite + bundled seed data);
#               with CLAIMBOT_TOKEN set, serve Telegram users instead
#   make test   set up and run the whole suite (lint, types, tests)
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test lint eval train-matcher bench cold-start load

$(BIN)/claimbot: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("claimbot needs Python 3.11+") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/claimbot
	$(BIN)/claimbot run

lint: $(BIN)/claimbot
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# The matcher's figures on the development and held-out questions (and the public sample
# when ../shared/eval is there); exits 1 when a target is missed.
eval: $(BIN)/claimbot
	$(BIN)/python tests/eval/evaluate.py

# Retrain the matcher's decision on the development questions (bot/matching/decision_model.json).
train-matcher: $(BIN)/claimbot
	$(BIN)/python tests/eval/train_decision.py

cold-start: $(BIN)/claimbot
	$(BIN)/python tests/bench/cold_start.py

bench: $(BIN)/claimbot
	$(BIN)/python tests/bench/bench_matching.py

load: $(BIN)/claimbot
	$(BIN)/python tests/load/load_test.py --users 200 --questions 4000
