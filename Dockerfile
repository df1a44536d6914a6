# Build: the Swift toolchain; run: a slim Debian with only what the binary links.
FROM swift:6.1-bookworm AS build
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product cql-proxy --static-swift-stdlib \
    && strip .build/release/cql-proxy \
    && cp .build/release/cql-proxy /cql-proxy

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 cqlproxy
COPY --from=build /cql-proxy /usr/local/bin/cql-proxy
USER cqlproxy
EXPOSE 9042 8000
ENTRYPOINT ["/usr/local/bin/cql-proxy"]
