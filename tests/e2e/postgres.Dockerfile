# Stand-in for the external PostgreSQL (e.g. Neon) of the e2e tier: Debian trixie's PostgreSQL 17,
# the chart's major version. Test-only. The chart's in-cluster mode runs the official postgres image,
# which cannot be pulled on the CI machine, so the e2e runs the chart in external-database mode.
ARG BASE_IMAGE=todo-standin/debian:trixie-minbase
FROM ${BASE_IMAGE}
# A fixed numeric postgres user (the package reuses it), and no default cluster at install time:
# the container makes its own on start, under /tmp.
# hadolint ignore=DL3008
RUN groupadd --system --gid 999 postgres \
    && useradd --system --uid 999 --gid 999 --home-dir /var/lib/postgresql --shell /bin/sh postgres \
    && mkdir -p /etc/postgresql-common \
    && echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf \
    && apt-get update \
    && apt-get install -y --no-install-recommends postgresql-17 \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/postgresql/17/bin:$PATH \
    PGDATA=/tmp/pgdata \
    LANG=C.UTF-8
USER 999:999
WORKDIR /tmp
# Local socket trusted (the test's psql via docker exec); network clients need a password (scram).
CMD ["sh", "-c", "initdb --auth-local=trust --auth-host=scram-sha-256 -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null && echo 'host all all all scram-sha-256' >>\"$PGDATA/pg_hba.conf\" && exec postgres -c listen_addresses='*' -c unix_socket_directories=/tmp -c fsync=off -c synchronous_commit=off"]
