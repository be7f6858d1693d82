# Bridgework web app, served by gunicorn. Used by docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir . gunicorn \
    && useradd --system --uid 10001 --home-dir /app --no-create-home bridgework \
    && chown -R bridgework /app

USER bridgework
EXPOSE 8000
# Extra gunicorn options can be given at run time in GUNICORN_CMD_ARGS.
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-", "app:create_app()"]
