#!/bin/bash
# On an empty $PGDATA: a cluster whose superuser is $POSTGRES_USER (password
# $POSTGRES_PASSWORD, SCRAM over TCP from anywhere), plus database $POSTGRES_DB.
# Then runs the command: `postgres [-c name=value ...]`.
set -euo pipefail

: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD to the superuser password}"
POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
        --pgdata="$PGDATA" >/dev/null
    printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
    printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
    if [ "$POSTGRES_DB" != postgres ]; then
        # Single-user mode: no server, no socket, nobody can connect before we are done.
        printf 'CREATE DATABASE "%s";\n' "$POSTGRES_DB" \
            | postgres --single -D "$PGDATA" postgres >/dev/null
    fi
    echo "initialised $PGDATA: user $POSTGRES_USER, database $POSTGRES_DB"
fi

if [ "${1:-}" = postgres ]; then
    shift
    exec postgres -D "$PGDATA" "$@"
fi
exec "$@"
