# duplex: multi-stage build on Debian bookworm, every dependency from Debian packages.
#   docker build -t duplex .
#   docker run -p 8080:8080 -v duplex-data:/var/lib/duplex -v $PWD/duplex.json:/etc/duplex/duplex.json:ro \
#              --env-file duplex.env duplex
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/setup scripts/setup
RUN DUPLEX_SETUP_BUILD_ONLY=1 bash scripts/setup && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DDUPLEX_TESTS=OFF \
 && cmake --build build --target duplex \
 && strip build/duplex

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcpp-httplib0.11 libssl3 libsqlite3-0 libpq5 libre2-9 \
      zlib1g libbrotli1 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/duplex --shell /usr/sbin/nologin duplex \
 && mkdir -p /var/lib/duplex /etc/duplex && chown duplex:duplex /var/lib/duplex
COPY --from=build /src/build/duplex /usr/local/bin/duplex
USER duplex
WORKDIR /var/lib/duplex
VOLUME ["/var/lib/duplex", "/etc/duplex"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["duplex", "healthcheck", "--url", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["duplex"]
CMD ["serve", "--config", "/etc/duplex/duplex.json"]
