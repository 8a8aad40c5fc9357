#!/usr/bin/env bash
# Install (if missing) and start a local PostgreSQL server for the newsclaims store tests,
# then print a SQLAlchemy URL for it on the last line of stdout.
#
#   export NEWSCLAIMS_TEST_PG_URL="$(.ci/setup-postgres.sh | tail -n 1)"
#
# Idempotent: re-running it reuses the installed packages, the running cluster, the role and
# the database. It uses Debian's cluster tools (pg_lsclusters, pg_ctlcluster) and listens on
# 127.0.0.1 only. It exports nothing: a script cannot change its caller's environment.
#
# Environment (optional): NEWSCLAIMS_PG_ROLE (default newsclaims), NEWSCLAIMS_PG_DB (default
# newsclaims_test), NEWSCLAIMS_PG_PASSWORD (default newsclaims).
set -euo pipefail

role="${NEWSCLAIMS_PG_ROLE:-newsclaims}"
db="${NEWSCLAIMS_PG_DB:-newsclaims_test}"
password="${NEWSCLAIMS_PG_PASSWORD:-newsclaims}"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

as_postgres() {
    if [ "$(id -un)" = postgres ]; then
        "$@"
    elif [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        sudo -u postgres "$@"
    fi
}

if ! command -v pg_lsclusters >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "installing PostgreSQL (Debian package)" >&2
    as_root apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >&2
fi

# The first cluster Debian knows of; create one when the package was installed without it.
cluster="$(pg_lsclusters --no-header 2>/dev/null | head -n 1 || true)"
if [ -z "$cluster" ]; then
    version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
    as_root pg_createcluster "$version" main >&2
    cluster="$(pg_lsclusters --no-header | head -n 1)"
fi
read -r version name port status _ <<<"$cluster"

if [ "${status%%,*}" != online ]; then
    echo "starting PostgreSQL cluster $version/$name on 127.0.0.1:$port" >&2
    as_root pg_ctlcluster "$version" "$name" start -- -o "-c listen_addresses=127.0.0.1" >&2
fi

for _ in $(seq 1 30); do
    if pg_isready -q -h 127.0.0.1 -p "$port"; then break; fi
    sleep 0.5
done
pg_isready -h 127.0.0.1 -p "$port" >&2

psql_pg() { as_postgres psql -v ON_ERROR_STOP=1 -q -X -p "$port" -d postgres "$@"; }

if [ "$(psql_pg -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" != 1 ]; then
    psql_pg -c "CREATE ROLE \"$role\" LOGIN CREATEDB PASSWORD '$password'" >&2
fi
if [ "$(psql_pg -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
    psql_pg -c "CREATE DATABASE \"$db\" OWNER \"$role\"" >&2
fi

echo "postgresql+psycopg://$role:$password@127.0.0.1:$port/$db"
