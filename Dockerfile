# syntax=docker/dockerfile:1
# Multi-stage: build with the full toolchain, run on a slim Debian with only the binary.

FROM rust:1-bookworm AS builder
WORKDIR /src
# Dependencies first, so source edits do not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked --features tls \
    && rm -rf src
COPY . .
# `tls` lets the service reach PostgreSQL with sslmode=require / verify-full.
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --features tls

FROM debian:bookworm-slim AS runtime
RUN apt-get update -q \
    && apt-get install -y -q --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app --shell /usr/sbin/nologin minxin
WORKDIR /app
COPY --from=builder /src/target/release/minxin /usr/local/bin/minxin
COPY config ./config
ENV MINXIN_ENV=production \
    MINXIN_BIND=0.0.0.0:8890
USER minxin
EXPOSE 8890
# Needs DATABASE_URL, MINXIN__AUTH__JWT_SECRET and MINXIN__AUTH__ACCESS_CODE_SECRET.
CMD ["minxin", "serve"]
