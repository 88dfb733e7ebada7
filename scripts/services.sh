#!/usr/bin/env bash
# Project-local RabbitMQ 3.10 and PostgreSQL 15 on loopback, for the demo, the tests and the benchmarks.
#
#   scripts/services.sh start     install what is missing, start both, create vhost/users/database/roles
#   scripts/services.sh stop      stop both (data is kept under $TIERFLOW_STATE_DIR)
#   scripts/services.sh status    say what runs
#   scripts/services.sh reset     stop and delete all local state
#   scripts/services.sh env       print the connection variables the pipeline uses
#   scripts/services.sh start-rabbitmq | stop-rabbitmq | start-postgres | stop-postgres
#                                 one service only (the fault-injection suite restarts them one at a time)
#
# Safe to run twice: a running service is reused. Ports, passwords and the RabbitMQ node name can be
# overridden by environment (TIERFLOW_STATE_DIR, TIERFLOW_AMQP_PORT, TIERFLOW_AMQP_DIST_PORT,
# TIERFLOW_AMQP_MGMT_PORT, TIERFLOW_PG_PORT, TIERFLOW_RABBIT_NODE, TIERFLOW_*_PASSWORD), so a second
# instance (scripts/faults.sh runs one under .local/faults) can run beside the shared one.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${TIERFLOW_STATE_DIR:-$repo/.local}"
amqp_port="${TIERFLOW_AMQP_PORT:-5699}"
amqp_dist_port="${TIERFLOW_AMQP_DIST_PORT:-25699}"
amqp_mgmt_port="${TIERFLOW_AMQP_MGMT_PORT:-15699}"
pg_port="${TIERFLOW_PG_PORT:-5499}"
rabbit_node="${TIERFLOW_RABBIT_NODE:-tierflow@localhost}"
amqp_admin_password="${TIERFLOW_AMQP_ADMIN_PASSWORD:-tierflow-admin-dev}"
amqp_worker_password="${TIERFLOW_AMQP_WORKER_PASSWORD:-tierflow-worker-dev}"
pg_owner_password="${TIERFLOW_PG_OWNER_PASSWORD:-tierflow-owner-dev}"
pg_worker_password="${TIERFLOW_PG_WORKER_PASSWORD:-tierflow-worker-dev}"
pg_bin="/usr/lib/postgresql/15/bin"
rabbit_bin="/usr/lib/rabbitmq/bin"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

install_packages() {
    local missing=()
    for pkg in rabbitmq-server postgresql-15 librabbitmq-dev libpq-dev libcurl4-openssl-dev libssl-dev; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "missing packages ${missing[*]}; run as root or install them"
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # Debian's policy-rc.d keeps the system-wide services from starting; we start our own below.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ---------------------------------------------------------------- RabbitMQ

rabbit_env() {
    export HOME="$state/rabbitmq"  # the Erlang cookie lives here
    export RABBITMQ_NODENAME="$rabbit_node"
    export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    export RABBITMQ_NODE_PORT="$amqp_port"
    export RABBITMQ_DIST_PORT="$amqp_dist_port"
    export ERL_EPMD_ADDRESS=127.0.0.1
    export RABBITMQ_MNESIA_BASE="$state/rabbitmq/mnesia"
    export RABBITMQ_LOG_BASE="$state/rabbitmq/log"
    export RABBITMQ_CONFIG_FILE="$state/rabbitmq/rabbitmq"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$state/rabbitmq/enabled_plugins"
    export RABBITMQ_PID_FILE="$state/rabbitmq/rabbit.pid"
    export ERL_CRASH_DUMP="$state/rabbitmq/log/erl_crash.dump"
    # Erlang schedulers spin for a while before they sleep; on a small machine shared with the workers and
    # PostgreSQL that spinning takes the cores they need (see BENCHMARKS.md). Sleep at once instead.
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="${RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS:-+sbwt none +sbwtdcpu none +sbwtdio none}"
}

rabbitmqctl() { (rabbit_env; "$rabbit_bin/rabbitmqctl" -n "$rabbit_node" "$@"); }

rabbit_running() { (rabbit_env; "$rabbit_bin/rabbitmqctl" -n "$rabbit_node" -q status >/dev/null 2>&1); }

start_rabbitmq() {
    mkdir -p "$state/rabbitmq/mnesia" "$state/rabbitmq/log"
    chmod 700 "$state/rabbitmq"
    if rabbit_running; then
        log "RabbitMQ already running on 127.0.0.1:$amqp_port"
    else
        cat >"$state/rabbitmq/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$amqp_port
loopback_users = none
management.tcp.ip = 127.0.0.1
management.tcp.port = $amqp_mgmt_port
consumer_timeout = 1800000
vm_memory_high_watermark.relative = 0.4
log.console = false
log.file.level = warning
EOF
        echo "[rabbitmq_management]." >"$state/rabbitmq/enabled_plugins"
        log "starting RabbitMQ on 127.0.0.1:$amqp_port"
        (rabbit_env; cd "$state/rabbitmq"; nohup "$rabbit_bin/rabbitmq-server" >"$state/rabbitmq/log/startup.log" 2>&1 &)
        local waited=0
        until (rabbit_env; timeout 60 "$rabbit_bin/rabbitmqctl" -n "$rabbit_node" -q await_startup >/dev/null 2>&1); do
            waited=$((waited + 1))
            [ "$waited" -lt 120 ] || die "RabbitMQ did not start; see $state/rabbitmq/log"
            sleep 0.5
        done
    fi
    rabbitmqctl -q list_vhosts | grep -qx tierflow || rabbitmqctl -q add_vhost tierflow
    ensure_rabbit_user tierflow_admin "$amqp_admin_password"
    ensure_rabbit_user tierflow_worker "$amqp_worker_password"
    rabbitmqctl -q set_user_tags tierflow_admin administrator
    rabbitmqctl -q set_permissions -p tierflow tierflow_admin '.*' '.*' '.*'
    # Workers may declare and use only tierflow.* resources and server-named reply queues.
    rabbitmqctl -q set_permissions -p tierflow tierflow_worker \
        '^(tierflow\..*|amq\.gen-.*)$' '^(tierflow\..*|amq\.gen-.*|amq\.default)$' '^(tierflow\..*|amq\.gen-.*)$'
}

ensure_rabbit_user() {
    if rabbitmqctl -q list_users | awk '{print $1}' | grep -qx "$1"; then
        rabbitmqctl -q change_password "$1" "$2" >/dev/null
    else
        rabbitmqctl -q add_user "$1" "$2" >/dev/null
    fi
}

stop_rabbitmq() {
    if rabbit_running; then
        log "stopping RabbitMQ"
        rabbitmqctl -q shutdown >/dev/null 2>&1 || true
    fi
}

# ---------------------------------------------------------------- PostgreSQL

as_postgres() { runuser -u postgres -- "$@"; }
pg_data="$state/postgres"

# PostgreSQL runs as the postgres user, which must be able to reach its data directory: when the checkout
# lives somewhere it cannot enter (under /root, say), keep the data in /var/lib/tierflow instead.
choose_pg_data() {
    mkdir -p "$state"
    if ! id postgres >/dev/null 2>&1 || runuser -u postgres -- test -x "$state" 2>/dev/null; then
        return
    fi
    pg_data="/var/lib/tierflow/$(printf '%s' "$state" | md5sum | cut -c1-12)/postgres"
    mkdir -p "$(dirname "$pg_data")"
    ln -sfn "$pg_data" "$state/postgres-data"
}

pg_running() { "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"; }

psql_super() { as_postgres /usr/bin/psql -X -q -v ON_ERROR_STOP=1 -h "$pg_data" -p "$pg_port" -d postgres "$@"; }

start_postgres() {
    choose_pg_data
    if [ ! -f "$pg_data/PG_VERSION" ]; then
        log "initialising PostgreSQL in $pg_data"
        mkdir -p "$pg_data"
        chown postgres:postgres "$pg_data"
        chmod 700 "$pg_data"
        # Collation C: text keys (query ids, stages, tiers) compare as bytes (memcmp) in every index. Any other
        # collation, C.UTF-8 included, goes through strcoll for each comparison of each index insert
        # (BENCHMARKS.md, hop log). Character classes stay UTF-8 aware (LC_CTYPE C.UTF-8).
        as_postgres "$pg_bin/initdb" -D "$pg_data" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
            -E UTF8 --locale=C.UTF-8 --lc-collate=C >/dev/null
        cat >>"$pg_data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$pg_data'
max_connections = 200
shared_buffers = 256MB
fsync = on
synchronous_commit = on
EOF
    fi
    if pg_running; then
        log "PostgreSQL already running on 127.0.0.1:$pg_port"
    else
        log "starting PostgreSQL on 127.0.0.1:$pg_port"
        as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -w -t 60 start >/dev/null \
            || die "PostgreSQL did not start; see $pg_data/server.log"
    fi
    # Every hop commits rows keyed by content hashes, so inserts land on random index pages: after each
    # checkpoint the first change to a page writes the whole page to the WAL. Default spacing (1 GB of WAL)
    # means a checkpoint every minute or two under load, each followed by a burst of full-page writes that
    # halved throughput in benchmarks; space them out and compress what is written (reload-level settings,
    # applied to existing data directories too). Autovacuum runs of a second or more are logged: they are what
    # a latency tail at a steady rate most often lines up with.
    psql_super <<EOF
ALTER SYSTEM SET max_wal_size = '8GB';
ALTER SYSTEM SET checkpoint_timeout = '15min';
ALTER SYSTEM SET wal_compression = 'lz4';
ALTER SYSTEM SET log_autovacuum_min_duration = '1s';
SELECT pg_reload_conf();
EOF
    psql_super <<EOF
SELECT 'CREATE ROLE tierflow_owner LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tierflow_owner') \gexec
SELECT 'CREATE ROLE tierflow_worker LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tierflow_worker') \gexec
ALTER ROLE tierflow_owner PASSWORD '$pg_owner_password';
ALTER ROLE tierflow_worker PASSWORD '$pg_worker_password';
SELECT 'CREATE DATABASE tierflow OWNER tierflow_owner' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'tierflow') \gexec
EOF
    # Workers: no CREATE on the schema, no ownership; table rights come from the owner's default privileges.
    psql_super -d tierflow <<EOF
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO tierflow_worker;
ALTER DEFAULT PRIVILEGES FOR ROLE tierflow_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES TO tierflow_worker;
ALTER DEFAULT PRIVILEGES FOR ROLE tierflow_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO tierflow_worker;
EOF
}

stop_postgres() {
    choose_pg_data
    if [ -f "$pg_data/postmaster.pid" ]; then
        log "stopping PostgreSQL"
        as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null || true
    fi
}

print_env() {
    choose_pg_data
    cat <<EOF
export TIERFLOW_AMQP_URL='amqp://tierflow_worker:$amqp_worker_password@127.0.0.1:$amqp_port/tierflow'
export TIERFLOW_AMQP_ADMIN_URL='amqp://tierflow_admin:$amqp_admin_password@127.0.0.1:$amqp_port/tierflow'
export TIERFLOW_AMQP_MANAGEMENT_URL='http://tierflow_admin:$amqp_admin_password@127.0.0.1:$amqp_mgmt_port'
export TIERFLOW_DATABASE_URL='postgresql://tierflow_worker:$pg_worker_password@127.0.0.1:$pg_port/tierflow'
export TIERFLOW_DATABASE_OWNER_URL='postgresql://tierflow_owner:$pg_owner_password@127.0.0.1:$pg_port/tierflow'
export TIERFLOW_RABBITMQ_NODE='$rabbit_node'
export TIERFLOW_STATE_DIR='$state'
export TIERFLOW_PG_SOCKET_DIR='$pg_data'
EOF
}

case "${1:-start}" in
    start)
        install_packages
        mkdir -p "$state"
        start_postgres
        start_rabbitmq
        log "ready: AMQP 127.0.0.1:$amqp_port vhost tierflow, PostgreSQL 127.0.0.1:$pg_port db tierflow"
        ;;
    stop)
        stop_rabbitmq
        stop_postgres
        ;;
    status)
        if rabbit_running; then echo "rabbitmq: running (127.0.0.1:$amqp_port)"; else echo "rabbitmq: stopped"; fi
        if pg_running; then echo "postgres: running (127.0.0.1:$pg_port)"; else echo "postgres: stopped"; fi
        ;;
    reset)
        stop_rabbitmq
        stop_postgres
        rm -rf "$state/rabbitmq" "$state/postgres" "$pg_data"
        ;;
    env)
        print_env
        ;;
    start-rabbitmq)
        install_packages
        mkdir -p "$state"
        start_rabbitmq
        ;;
    stop-rabbitmq)
        stop_rabbitmq
        ;;
    start-postgres)
        install_packages
        mkdir -p "$state"
        start_postgres
        ;;
    stop-postgres)
        stop_postgres
        ;;
    rabbitmqctl)
        shift
        rabbitmqctl "$@"
        ;;
    *)
        die "usage: $0 start|stop|status|reset|env|start-rabbitmq|stop-rabbitmq|start-postgres|stop-postgres|rabbitmqctl ARGS"
        ;;
esac
