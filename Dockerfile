# Huzhu's service image: `huzhu serve` by default; the same image runs `huzhu worker`
# and `huzhu migrate` (see compose.yaml and docs/production.md).
#
#   docker build -t huzhu .
#
# Two stages: the build stage fetches the pinned front-end file from the npm registry
# (scripts/fetch_vendor.py checks its sha512) and installs Huzhu into a virtualenv; the
# runtime stage copies only that virtualenv and runs as an unprivileged user. No
# compiler, no test tool, nothing fetched at run time.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /build
COPY pyproject.toml README.md ./
COPY scripts ./scripts
COPY src ./src
# Before the install: the vendor files are package data, copied in with the package.
RUN python scripts/fetch_vendor.py --strict \
    && python -m venv /opt/huzhu \
    && /opt/huzhu/bin/pip install --no-compile .

FROM python:3.11-slim
RUN groupadd --system --gid 10001 huzhu \
    && useradd --system --uid 10001 --gid huzhu --home-dir /srv/huzhu --create-home huzhu
COPY --from=build /opt/huzhu /opt/huzhu
ENV PATH=/opt/huzhu/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HUZHU_ENV=production
USER huzhu
WORKDIR /srv/huzhu
EXPOSE 8000
# /healthz answers while the process serves; /readyz also checks the database.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
# Migrations run once per release as their own step (compose: the `migrate` service),
# never from several app containers at once.
CMD ["huzhu", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--no-migrate"]
