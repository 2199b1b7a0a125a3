# One image for the web app (daphne) and the worker (manage.py worker);
# docker-compose.yml runs it behind nginx. See deploy/README.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_ENV_FILE=/nonexistent

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN useradd --system --uid 10001 --home-dir /app app \
    && mkdir -p /app/staticfiles && chown app /app/staticfiles
USER app
# Hashed, compressed static files, for WhiteNoise and for nginx (through the
# compose volume). Settings refuse to load without a secret key: this one only
# exists during the build.
RUN DJANGO_SECRET_KEY=build-time-only python manage.py collectstatic --noinput

EXPOSE 8000
# The app logs one JSON line per request itself: daphne's own access log would repeat it.
CMD ["python", "-m", "connector_site.serve", "-b", "0.0.0.0", "-p", "8000", "--access-log", "/dev/null", "connector_site.asgi:application"]
