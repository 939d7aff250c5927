# make run: install, migrate, load demo data, serve web + Celery worker + beat.
# make test: install, then the whole pytest suite (browser tests when Chromium is present).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test install migrate demo stop bench check-deploy lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py demo_data

run: demo
	@echo ""
	@echo "  Practice Scheduling on http://127.0.0.1:$(PORT)"
	@echo "  Logins (password demo-pass-2026):"
	@echo "    admin@demo.test   admin"
	@echo "    staff@demo.test   staff"
	@echo "    host@demo.test    practitioner"
	@echo "    host2@demo.test   practitioner"
	@echo "    client@demo.test  client"
	@echo ""
	WEB_PORT=$(PORT) $(BIN)/honcho start -f Procfile

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# What reviewers check before reading a change: lint clean, no model change without its migration.
lint: install
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

stop:
	$(BIN)/python -c "from pathlib import Path; from practice import embedded; embedded.stop_all(Path('var').resolve())"

bench: migrate
	$(BIN)/python bench/seed_large_practice.py

check-deploy: install
	DEBUG=0 SECRET_KEY=$$($(BIN)/python -c "import secrets; print(secrets.token_urlsafe(64))") ALLOWED_HOSTS=practice.example.com \
		FIELD_ENCRYPTION_KEY=$$($(BIN)/python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())") \
		EMAIL_HOST=smtp.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING
