# Builds the `loyalty` binary and ships it on a slim Debian with nothing else but CA certificates, curl (for the
# health check) and postgresql-client (pg_dump and pg_restore for `loyalty backup` and `loyalty restore`).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin loyalty

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl postgresql-client && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/loyalty /usr/local/bin/loyalty
USER nobody
ENTRYPOINT ["/usr/local/bin/loyalty"]
CMD ["serve"]
