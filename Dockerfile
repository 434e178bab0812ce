# The bot in a container: web chat, webhooks and polling channels in one process.
# Build: docker build -t cantho-dost-bot .    Run: see docker-compose.yml
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    KB_DB_PATH=/data/kb.sqlite WEB_HOST=0.0.0.0 WEB_PORT=8080 LOG_FORMAT=json LOG_LEVEL=INFO

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY bot ./bot
COPY handlers ./handlers
COPY knowledge ./knowledge
COPY data ./data
COPY run_bot.py settings.toml ./

RUN useradd --system --home /app bot && mkdir /data && chown bot /data
USER bot
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"
CMD ["python", "run_bot.py", "run"]
