# The two commands a newcomer needs: `make run` and `make test`.
.PHONY: run test test-fast lint format migrations-check

run:  ## run the app on http://127.0.0.1:8000 with the LivePerson sandbox
	bin/run

test:  ## run the whole test suite against real PostgreSQL and Redis
	bin/test

test-fast:  ## the developer's loop: the unit tests only (markers: pyproject.toml)
	bin/test -m unit

lint:
	bin/setup --dev
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

migrations-check:
	DJANGO_DEBUG=true DJANGO_ENV_FILE=/nonexistent .venv/bin/python manage.py makemigrations --check --dry-run
