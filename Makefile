# Incident Portal: `make run` brings the whole portal up, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SCENARIO ?=
# What supervisord.conf reads from the environment.
export PORT ?= 8000
export WEB_CONCURRENCY ?= 3
export WORKER_CONCURRENCY ?= 4
export PORTAL_VAR_DIR ?= $(CURDIR)/var
# The development sink, where the pages the portal sends are read (the settings agree).
export SINK_PORT ?= $(shell echo $$(( $(PORT) + 1 )))

.PHONY: install run test bench lint check clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo
	@echo ""
	@echo "  Incident Portal: http://127.0.0.1:$(PORT)/   (Ctrl-C stops everything)"
	@echo ""
	@echo "  Pages the portal sends (e-mail, SMS, Slack, Teams, webhooks) appear at http://127.0.0.1:$(SINK_PORT)/ and in this terminal."
	@echo ""
	@echo "  Raise a demo alert (Customer onboarding flow), once the portal is up:"
	@echo "    curl -X POST http://127.0.0.1:$(PORT)/integrations/webhook/demo-webhook-key/ -H 'Content-Type: application/json' -d '{\"summary\": \"Demo: sign-up Zap failing\", \"severity\": \"critical\", \"dedup_key\": \"demo-signup-zap\"}'"
	@echo ""
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/supervisord --configuration supervisord.conf

test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: install
	$(PY) -m bench $(SCENARIO)

lint: install
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf var .pytest_cache test-artifacts
