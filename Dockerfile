# One image for every role of the parcel assistant (README "Running at scale"):
#
#   python -m bot serve --only gateway    the customer channels, the agent console and its API
#   python -m bot serve --only rasa       a Rasa server (model baked in at build, or mounted)
#   python -m bot serve --only actions    an action server
#
# Build (trains the model into the image; ~10 min on 2 cores):
#   docker build -t parcel-assistant .
# Or skip training and mount a model trained elsewhere (`python -m bot train`) at /app/models:
#   docker build --build-arg TRAIN_MODEL=0 -t parcel-assistant .
#   docker run -v "$PWD/models:/app/models:ro" ... parcel-assistant python -m bot serve --only rasa
# The model's file name is the fingerprint of its training data (bot/training.py): a model
# trained from another revision of the data is not used (serve says which one it expects).

# --- the browser bundles (rasa-webchat widget, Chart.js): npm tarballs only ---------
FROM node:20-slim AS bundles
WORKDIR /bundles
# Same versions as scripts/env.sh (WEBCHAT_VERSION, CHARTJS_VERSION).
RUN npm pack --silent rasa-webchat@1.0.1 chart.js@4.6.1 \
    && mkdir webchat chartjs \
    && tar -xzf rasa-webchat-1.0.1.tgz -C webchat \
    && tar -xzf chart.js-4.6.1.tgz -C chartjs \
    && rm ./*.tgz

# --- the application -----------------------------------------------------------------
FROM python:3.10-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    RASA_TELEMETRY_ENABLED=false \
    PYTHONPATH=/app \
    DATA_DIR=/data \
    MODELS_DIR=/app/models \
    WEBCHAT_JS=/opt/bundles/webchat/package/lib/index.js \
    CHARTJS_JS=/opt/bundles/chartjs/package/dist/chart.umd.min.js
# Inside a container every role listens on all interfaces of the container's network;
# only the reverse proxy is published (compose.yaml).
ENV BIND_HOST=0.0.0.0 \
    INTERNAL_HOST=0.0.0.0

RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 curl \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first (a layer that survives code changes): the [project] dependencies of
# pyproject.toml, as scripts/env.sh installs them (without the test extra).
COPY pyproject.toml ./
RUN pip install --upgrade "pip>=23.3,<25" "setuptools<70" wheel \
    && python -c "from pip._vendor import tomli; \
print('\n'.join(tomli.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt

COPY --from=bundles /bundles /opt/bundles
COPY config.yml domain.yml ./
COPY nlu_data ./nlu_data
COPY actions ./actions
COPY bot ./bot

# Train at build time (deterministic: the same data gives the same model and file name).
ARG TRAIN_MODEL=1
RUN if [ "$TRAIN_MODEL" = "1" ]; then python -m bot train && rm -rf .rasa; else mkdir -p models; fi

# An unprivileged user; /data holds logs and generated Rasa endpoint files (the
# conversations live in PostgreSQL, DATABASE_URL).
RUN useradd --system --uid 10001 --home-dir /data --create-home parcel && chown -R parcel /data
USER parcel
VOLUME ["/data"]

EXPOSE 8080 5005 5055
# The role comes from the command (compose.yaml); without one: one of each, SQLite, no Redis.
CMD ["python", "-m", "bot", "serve"]
