# Stand-in for the official postgres image (which cannot be pulled here) for the chart's in-cluster
# database in the live tier. Test-only. It honours the part of the official image's interface the
# chart uses: POSTGRES_USER, POSTGRES_DB, POSTGRES_PASSWORD_FILE, PGDATA, PGPORT, pg_isready on
# PATH, the socket in /var/run/postgresql, and any numeric UID (the chart runs it as 10001).
ARG BASE_IMAGE=todo-standin/debian:trixie-minbase
FROM ${BASE_IMAGE}
# hadolint ignore=DL3008
RUN mkdir -p /etc/postgresql-common \
    && echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf \
    && apt-get update \
    && apt-get install -y --no-install-recommends postgresql-17 \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && echo "todo:x:10001:10001:todo:/tmp:/bin/sh" >>/etc/passwd \
    && echo "todo:x:10001:" >>/etc/group
# Built with tests/live/standins as the context (the repository root's .dockerignore is an allowlist).
COPY --chmod=0755 postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/17/bin:$PATH \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]
