# The two commands a newcomer needs: `make run` and `make test`. Only Python 3.11+ is required.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The port `make run` serves on: `make run PORT=8001` (or PORT=8001 in the environment).
PORT ?= 8000

.PHONY: run test install migrate seed lint format bench vendor ci browser faults clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The local targets run in debug (a throwaway secret key, e-mails as files, localstripe);
# DJANGO_DEBUG=0 in the environment overrides it.
run migrate seed: export DJANGO_DEBUG ?= 1
run: export HK_PORT := $(PORT)
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: migrate seed
	@echo ""
	@echo "  HomeKnots is starting at http://127.0.0.1:$(PORT)  (admin: http://127.0.0.1:$(PORT)/admin/)"
	@echo "  Web, Celery worker and beat run together; e-mails land in var/mail/. Ctrl-C stops all."
	@echo "  Payments go to localstripe (a fake Stripe on :8420): pay with card 4242 4242 4242 4242."
	@echo ""
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/honcho -f Procfile.dev start

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

test: $(STAMP)
	$(BIN)/pytest -m "not browser and not redis and not faults" -p no:cacheprovider

browser: $(STAMP)
	$(BIN)/pytest -m browser -p no:cacheprovider

# The fault suite: gunicorn, a Celery worker and beat on a fresh PostgreSQL database and a
# private Redis, which it stops, freezes and kills (docs/reliability.md). Needs redis-server
# and a PostgreSQL server (HOMEKNOTS_FAULTS_POSTGRES, default postgres://postgres@127.0.0.1).
faults: $(STAMP)
	HOMEKNOTS_REQUIRE_FAULTS=1 $(BIN)/pytest -m faults -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_TESTING=1 $(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	@if ls bench/bench_*.py >/dev/null 2>&1; then for f in bench/bench_*.py; do DJANGO_DEBUG=1 $(BIN)/python $$f || exit 1; done; else echo "no benchmarks yet"; fi

vendor:
	scripts/vendor-static.sh

ci:
	bash .ci/run

clean:
	rm -rf var $(VENV)
