# Stand-in for node:22-slim, made from Debian trixie packages (nodejs 20.19, npm) because no
# container registry is reachable on the CI machine. Test-only.
ARG ROOTFS=todo-standin/debian:trixie-minbase
FROM ${ROOTFS}
# The machine's CA bundle, so npm inside builds trusts the TLS roots the machine trusts.
COPY host-ca.crt /usr/local/share/standin/host-ca.crt
ENV LANG=C.UTF-8 \
    SSL_CERT_FILE=/usr/local/share/standin/host-ca.crt \
    NODE_EXTRA_CA_CERTS=/usr/local/share/standin/host-ca.crt
# Stand-ins follow the suite's current packages on purpose; they are rebuilt per recipe hash.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm ca-certificates \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
CMD ["node"]
