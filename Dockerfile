# orderdesk API image: `docker build -t orderdesk .`, then `docker run -p 8000:8000 orderdesk`
# (SQLite in /data), or see compose.yaml for PostgreSQL, Redis, API and worker.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN pip install . \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home orderdesk \
    && mkdir /data \
    && chown orderdesk:orderdesk /data

USER orderdesk
ENV ORDERDESK_DATABASE_URL=sqlite:////data/orderdesk.db
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]

ENTRYPOINT ["orderdesk"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
