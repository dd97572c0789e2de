# citeqa: question answering over A/78/6 (Sect. 4) that cites the exact paragraph.
#
#   docker build -t citeqa .
#   docker run --rm -p 8000:8000 \
#       -e CITEQA_API_KEY="$(cat /run/secrets/citeqa_api_key)" \
#       -e CITEQA_CORS_ORIGINS='["https://delegates.example.org"]' \
#       citeqa
#
# The image carries a prebuilt index (built at image build time) and the embedding model
# materialised into CITEQA_CACHE_DIR, so it needs no network at run time.
FROM python:3.11-slim

# HF_*_OFFLINE: never reach a model hub; the model ships in a package and is materialised at build time.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    CITEQA_INDEX_DIR=/app/index-data \
    CITEQA_CACHE_DIR=/app/cache

# Production settings, supplied at run time (never baked into the image):
#   CITEQA_API_KEY       required in production: API keys are on. Pass it with -e or a secret;
#                        the image deliberately sets no value.
#   CITEQA_ADMIN_KEY     the key for POST /reload and GET /feedback (X-Admin-Key). Unset, they answer only
#                        loopback callers, which inside a container means only `docker exec`.
#   CITEQA_CORS_ORIGINS  origins allowed to call the API from a browser on another site, as a
#                        JSON list: -e CITEQA_CORS_ORIGINS='["https://delegates.example.org"]'.
#                        Default: none. The bundled web page is same-origin and needs none.
#   CITEQA_KEYS_FILE     named keys with scopes and rate limits (sha256 hashes, not keys; README "Keys,
#                        replicas and proxies"). Mount its directory, not the file, so a replaced file is
#                        seen without a restart: -v /etc/citeqa:/run/citeqa:ro
#                        -e CITEQA_KEYS_FILE=/run/citeqa/keys.json
#   CITEQA_REDIS_URL     for several replicas: conversations and rate limits in one Redis
#                        (-e CITEQA_REDIS_URL=redis://:password@redis:6379/0). Default: in the process.
#   CITEQA_TRUSTED_PROXIES  behind a load balancer, its addresses as a JSON list of IPs/CIDRs, so that
#                        X-Forwarded-For names the caller. Default: none (the header is ignored).

WORKDIR /app

# CPU-only torch, pinned, from the PyTorch CPU index: installed first so that the
# `torch==2.13.0` requirement of the project is already met and pip never pulls the CUDA build.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

# The project's other dependencies, in their own layer so that code changes do not reinstall them.
COPY pyproject.toml /src/pyproject.toml
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('/src/pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project itself. Nothing at run time reads /src: the document, the reader's weights, the web page's static
# files and the evaluation set are package data of the installed packages (pyproject.toml), so it is removed.
COPY . /src
RUN pip install --no-deps /src \
    && rm -rf /src

# Build the index (and materialise the model) into the image. Built as root, so the
# runtime user below can read but not change it.
RUN mkdir -p "$CITEQA_INDEX_DIR" "$CITEQA_CACHE_DIR" \
    && citeqa build \
    && chmod -R a+rX,go-w "$CITEQA_INDEX_DIR" "$CITEQA_CACHE_DIR"

RUN groupadd --system --gid 10001 citeqa \
    && useradd --system --uid 10001 --gid citeqa --create-home --home-dir /home/citeqa \
        --shell /usr/sbin/nologin citeqa
USER 10001:10001

EXPOSE 8000

# No curl in the slim image: probe with Python. /healthz is liveness; the index loads at start.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# `citeqa serve` runs uvicorn with service/runtime/server_config.py's options: header and body read timeouts,
# keep-alive, a connection cap (CITEQA_READ_TIMEOUT_S, CITEQA_KEEP_ALIVE_S, CITEQA_MAX_CONNECTIONS). Do not replace
# it with a bare `uvicorn` command, which would drop them.
CMD ["citeqa", "serve", "--host", "0.0.0.0", "--port", "8000"]
