# The coordinator (`nwbstream serve coordinator`, `nwbstream run-job`): the root lock with only the coordinator's
# distribution and its dependencies, no readers, no development tools.
#   docker build -f docker/coordinator.Dockerfile -t nwbstream-coordinator .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ARG UV_VERSION=0.13.9
ARG GRPCIO_TOOLS_VERSION=1.85.1
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/nwbstream/venv
RUN pip install --no-cache-dir "uv==${UV_VERSION}" "grpcio-tools==${GRPCIO_TOOLS_VERSION}"
WORKDIR /src
# The workspace's manifests: the lock names every member and path source, installed or not.
COPY pyproject.toml uv.lock ./
COPY proto/pyproject.toml proto/
COPY services/ services/
COPY coordinator/pyproject.toml coordinator/
COPY tools/samples/pyproject.toml tools/samples/
RUN uv sync --locked --package nwbstream-coordinator --no-default-groups --no-editable --no-install-workspace
COPY proto/ proto/
RUN python -m grpc_tools.protoc -I proto --python_out=proto --grpc_python_out=proto proto/nwbstream/v1/*.proto
COPY coordinator/ coordinator/
RUN uv sync --locked --package nwbstream-coordinator --no-default-groups --no-editable

FROM ${PYTHON_IMAGE}
ARG VERSION=0.1.0
ARG SOURCE=""
ARG REVISION=""
LABEL org.opencontainers.image.title="nwbstream-coordinator" \
      org.opencontainers.image.description="nwbstream coordinator: the conversion service and its Kubernetes jobs" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}"
RUN groupadd --system --gid 10001 nwbstream \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin nwbstream
COPY --from=builder /opt/nwbstream/venv /opt/nwbstream/venv
COPY docker/healthcheck.py /opt/nwbstream/healthcheck.py
# Nothing is written outside /tmp (an emptyDir in the chart), the outputs and the data roots (volumes).
ENV PATH=/opt/nwbstream/venv/bin:$PATH \
    HOME=/tmp TMPDIR=/tmp XDG_CACHE_HOME=/tmp/.cache MPLCONFIGDIR=/tmp/.cache/matplotlib \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /tmp
EXPOSE 50051 9090
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD ["python", "/opt/nwbstream/healthcheck.py"]
ENTRYPOINT ["nwbstream"]
CMD ["serve", "coordinator", "--config", "/etc/nwbstream/coordinator.yml"]
