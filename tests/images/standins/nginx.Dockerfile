# Stand-in for nginxinc/nginx-unprivileged, made from Debian trixie packages (nginx 1.26) because no
# container registry is reachable on the CI machine. Test-only. It carries what the official image
# has and the project's frontend image relies on: nginx on PATH, /etc/nginx/mime.types,
# /usr/share/nginx/html, curl, /bin/sh, logs to stdout/stderr, port 8080, a non-root user.
ARG ROOTFS=todo-standin/debian:trixie-minbase
FROM ${ROOTFS}
COPY host-ca.crt /usr/local/share/standin/host-ca.crt
ENV LANG=C.UTF-8 SSL_CERT_FILE=/usr/local/share/standin/host-ca.crt
# Stand-ins follow the suite's current packages on purpose; they are rebuilt per recipe hash.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx curl ca-certificates \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /usr/share/nginx/html \
    && ln -sf /dev/stdout /var/log/nginx/access.log \
    && ln -sf /dev/stderr /var/log/nginx/error.log
EXPOSE 8080
STOPSIGNAL SIGQUIT
USER 101
CMD ["nginx", "-g", "daemon off;"]
