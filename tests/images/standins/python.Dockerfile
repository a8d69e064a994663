# Stand-in for python:3.13-slim, made from Debian trixie packages because no container registry is
# reachable on the CI machine. Test-only: production builds use the official image.
ARG ROOTFS=todo-standin/debian:trixie-minbase
FROM ${ROOTFS}
# The machine's CA bundle, so pip inside builds trusts the TLS roots the machine trusts.
COPY host-ca.crt /usr/local/share/standin/host-ca.crt
ENV LANG=C.UTF-8 \
    SSL_CERT_FILE=/usr/local/share/standin/host-ca.crt \
    PIP_CERT=/usr/local/share/standin/host-ca.crt
# Stand-ins follow the suite's current packages on purpose; they are rebuilt per recipe hash.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
CMD ["python3"]
