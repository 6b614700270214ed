# tos-bot: python -m bot with the SQLite database on a volume (or PostgreSQL with
# DATABASE_URL, webhook mode with WEBHOOK_URL: compose.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_PATH=/data/tos-bot.sqlite3 \
    LOG_FORMAT=json

RUN useradd --create-home --uid 10001 bot \
    && mkdir -p /data \
    && chown bot:bot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY locales ./locales
RUN pip install . && rm -rf /app/*

USER bot
VOLUME ["/data"]
EXPOSE 8080
CMD ["python", "-m", "bot"]
