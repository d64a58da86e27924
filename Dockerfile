# Builds the `loyalty` binary and ships it on a slim Debian with nothing else but CA certificates and curl
# (for the health check).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin loyalty

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/loyalty /usr/local/bin/loyalty
USER nobody
ENTRYPOINT ["/usr/local/bin/loyalty"]
CMD ["serve"]
