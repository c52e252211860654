# syntax=docker/dockerfile:1
# Build stage: a wheel of needleplan and its dependencies in a virtual environment.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/venv/bin/pip install .

# Runtime stage: the virtual environment, the migrations and a non-root user.
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    NEEDLEPLAN_DATABASE_URL=sqlite:////data/needleplan.db
RUN groupadd --system --gid 10001 needleplan \
    && useradd --system --uid 10001 --gid needleplan --home-dir /app --no-create-home needleplan \
    && mkdir -p /app /data \
    && chown needleplan:needleplan /data
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY alembic.ini ./
COPY alembic ./alembic
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# No ENTRYPOINT: `docker run IMAGE needleplan migrate` (or any command) replaces CMD. The
# container does not migrate on start; `serve` exits 2 with one line while the schema is behind.
CMD ["needleplan", "serve", "--host", "0.0.0.0", "--port", "8000"]
