# syntax=docker/dockerfile:1
# cql-proxy image: a drop-in for datastax/cql-proxy (same env vars, same ports, same health endpoints).
#
#   docker build -t cql-proxy .
#   docker run -p 9042:9042 -e ASTRA_TOKEN=AstraCS:... -e ASTRA_DATABASE_ID=... -e HEALTH_CHECK=true cql-proxy
#
# Build stage: the same toolchain series the project is developed with (Swift 6.3) on Debian 12, so the
# runtime stage below (Debian 12 too) has the same library versions the binary was linked against.
FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libssl-dev libnghttp2-dev liblz4-dev libsnappy-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The SwiftPM build directory is a BuildKit cache, so rebuilds only recompile what changed; the stripped
# binary is written outside it, to /out.
RUN --mount=type=cache,target=/src/.build \
    scripts/build-release.sh /out

# Runtime stage: glibc plus exactly the shared libraries `ldd` lists for the binary (scripts/build-release.sh
# prints them; Tests/e2e/test_examples.py checks this list against a built binary). The Swift runtime and
# Foundation are linked statically. libssl3 brings libcrypto; libstdc++6/libgcc-s1 are already in the slim
# image and are named so the dependency is visible; ca-certificates is for TLS to Astra and the DevOps API.
FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libssl3 libnghttp2-14 liblz4-1 libsnappy1v5 zlib1g libstdc++6 libgcc-s1 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 cqlproxy \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin cqlproxy
COPY --from=build /out/cql-proxy /usr/local/bin/cql-proxy
# Numeric, so Kubernetes' runAsNonRoot can verify it without a runAsUser.
USER 10001:10001
# 9042: CQL clients; 8000: /liveness and /readiness (with HEALTH_CHECK=true, on HTTP_BIND).
EXPOSE 9042 8000
# `cql-proxy health` GETs /readiness on HTTP_BIND and exits 0 (ready) or 1: the container turns healthy only
# with HEALTH_CHECK=true, and only once the upstream is reachable. start-period covers the bundle download.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/cql-proxy", "health"]
ENTRYPOINT ["/usr/local/bin/cql-proxy"]
