# One modality service (ecephys, ophys, icephys, behavior, general): its distribution and its own lock only.
#   docker build -f docker/service.Dockerfile --build-arg MODALITY=ecephys -t nwbstream-ecephys .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ARG MODALITY
ARG UV_VERSION=0.13.9
ARG GRPCIO_TOOLS_VERSION=1.85.1
# Bytecode compiled here: the running container cannot write next to the sources (read-only root file system).
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/nwbstream/venv
RUN pip install --no-cache-dir "uv==${UV_VERSION}" "grpcio-tools==${GRPCIO_TOOLS_VERSION}"
WORKDIR /src
# Dependencies first (the layer that changes least), from services/<modality>/uv.lock alone; the root manifest
# (not its lock) says where services/common finds nwbstream-proto.
COPY pyproject.toml ./
COPY proto/pyproject.toml proto/
COPY services/common/pyproject.toml services/common/
COPY services/${MODALITY}/pyproject.toml services/${MODALITY}/uv.lock services/${MODALITY}/
RUN uv sync --project "services/${MODALITY}" --locked --no-dev --no-editable --no-install-project \
        --no-install-package nwbstream-service --no-install-package nwbstream-proto
COPY proto/ proto/
RUN python -m grpc_tools.protoc -I proto --python_out=proto --grpc_python_out=proto proto/nwbstream/v1/*.proto
COPY services/common/ services/common/
COPY services/${MODALITY}/ services/${MODALITY}/
RUN uv sync --project "services/${MODALITY}" --locked --no-dev --no-editable

FROM ${PYTHON_IMAGE}
ARG MODALITY
ARG VERSION=0.1.0
ARG SOURCE=""
ARG REVISION=""
LABEL org.opencontainers.image.title="nwbstream-${MODALITY}" \
      org.opencontainers.image.description="nwbstream ${MODALITY} service: reads its formats and sends NWB chunks over gRPC" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}"
RUN groupadd --system --gid 10001 nwbstream \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin nwbstream
COPY --from=builder /opt/nwbstream/venv /opt/nwbstream/venv
COPY docker/healthcheck.py /opt/nwbstream/healthcheck.py
# Nothing is written outside /tmp (an emptyDir in the chart): home, caches and temporary files all go there.
ENV PATH=/opt/nwbstream/venv/bin:$PATH \
    HOME=/tmp TMPDIR=/tmp XDG_CACHE_HOME=/tmp/.cache MPLCONFIGDIR=/tmp/.cache/matplotlib \
    NUMBA_CACHE_DIR=/tmp/.cache/numba PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    NWBSTREAM_MODALITY=${MODALITY}
USER 10001:10001
WORKDIR /tmp
EXPOSE 50051 9090
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD ["python", "/opt/nwbstream/healthcheck.py"]
# TLS is required off loopback: mount a certificate and key at /etc/nwbstream-tls (the chart does).
ENTRYPOINT ["/bin/sh", "-c", "exec python -m \"nwbstream.${NWBSTREAM_MODALITY}\" \"$@\"", "nwbstream-service"]
CMD ["--host", "0.0.0.0", "--port", "50051", \
     "--tls-cert", "/etc/nwbstream-tls/tls.crt", "--tls-key", "/etc/nwbstream-tls/tls.key"]
