# Bridgework: the web app under gunicorn, and (same image) the task worker.
# Used by docker-compose.yml; the worker service runs `flask --app app worker`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY . /app
# /app/instance holds the app database (accounts, audit log, task queue) and the uploads;
# compose mounts a volume there, which takes this folder's owner when it is first created.
RUN pip install --no-cache-dir . gunicorn \
    && useradd --system --uid 10001 --home-dir /app --no-create-home bridgework \
    && mkdir -p /app/instance/data \
    && chown -R bridgework /app

USER bridgework
EXPOSE 8000
# Extra gunicorn options can be given at run time in GUNICORN_CMD_ARGS. Large uploads
# take a while on slow links: a request may run for up to 5 minutes.
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--timeout", "300", "--access-logfile", "-", "app:create_app()"]
