# syntax=docker/dockerfile:1
#
# idp-server in a small image: a non-root process, the database on the /data
# volume, a HEALTHCHECK by the binary itself (`idp-server health`).
#
#   docker build -t idp .
#   docker run -p 3000:3000 -v idp-data:/data \
#     -e ENCRYPTION_KEY=$(openssl rand -hex 32) -e BASE_URL=http://localhost:3000 idp
#
# Docker cannot run on the machines this project is developed and tested on,
# so this file is not exercised by the test suite. To keep it honest, the
# build step is exactly the README's `cargo build --release -p idp-server`
# (with --locked, on the Rust 1.95 toolchain the project is built with) and
# nothing else: no extra features, flags or patches beyond what CI (.ci/run,
# `cargo test --workspace`) compiles.

# ---- build ---------------------------------------------------------------
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# Cache mounts keep the registry and target/ between builds; the binary is
# copied out because the cache is not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p idp-server \
 && install -D -m 0755 target/release/idp-server /out/idp-server
# The data directory, owned by the runtime user (distroless "nonroot",
# 65532), so that a new named volume inherits the ownership.
RUN install -d -m 0700 -o 65532 -g 65532 /out/data

# ---- runtime -------------------------------------------------------------
# glibc, libgcc and CA certificates, no shell, no package manager.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/idp-server /usr/local/bin/idp-server
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
ENV DATABASE_URL=sqlite:/data/idp.db \
    SERVER_HOST=0.0.0.0 \
    SERVER_PORT=3000
# ENCRYPTION_KEY (64 hex characters) must come from the environment at run
# time; without it the server generates a development key into /data and
# says so loudly. BASE_URL should be the public URL (issuers derive from it).
VOLUME ["/data"]
EXPOSE 3000
# SIGTERM: stop accepting, finish in-flight requests (10 s at most),
# checkpoint the WAL, exit 0. Give `docker stop` more than that (-t 20).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=6s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/idp-server", "health"]
ENTRYPOINT ["/usr/local/bin/idp-server"]
CMD ["serve"]
