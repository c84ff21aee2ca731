# One image for every newsflow service (workers, beat, flower, migrate).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements.lock pyproject.toml README.md ./
RUN pip install -r requirements.lock

COPY . .
RUN pip install --no-deps . \
    && useradd --create-home --uid 10001 newsflow
USER newsflow

CMD ["celery", "-A", "shared.runtime.celery_app", "worker", "-Q", "fetch,parse,enrich", "--loglevel", "INFO"]
