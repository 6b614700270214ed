# Start a throwaway PostgreSQL server on 127.0.0.1 for the tests: `source .ci/postgres.sh`
# installs Debian's postgresql if it is missing (apt-get, as root), makes a cluster in a
# temporary folder owned by an unprivileged user (initdb refuses root; the cluster is the
# tests' alone, whoever runs them), starts it, exports TEST_DATABASE_URL, and stops it and
# removes the folder when the shell exits.

pg_bin_dir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

if [ -z "$(pg_bin_dir)" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "PostgreSQL is not installed and installing it needs root: apt-get install postgresql" >&2
        return 1 2>/dev/null || exit 1
    fi
    echo "installing PostgreSQL (Debian's postgresql package)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
fi
PG_BIN=$(pg_bin_dir)

PG_DIR=$(mktemp -d /tmp/tos-bot-pg.XXXXXX)
PG_PORT=${PG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$PG_DIR"
    RUNUSER=$(command -v runuser || echo /sbin/runuser)
    pg_as() { "$RUNUSER" -u postgres -- "$@"; }
else
    pg_as() { "$@"; }
fi
pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; return 1 2>/dev/null || exit 1; }
# Durability is not the tests' concern (each test's database is thrown away): no fsync.
pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; return 1 2>/dev/null || exit 1; }

pg_stop() {
    pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
}
trap pg_stop EXIT

export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
