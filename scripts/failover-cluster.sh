#!/usr/bin/env bash
# A PostgreSQL cluster with automatic failover, on loopback, for mops (docs/DEPLOYMENT.md).
#
# pg_auto_failover: a monitor, a primary and a synchronous secondary, each a
# PostgreSQL 15 of its own under DIR, on ports of their own, trust auth on
# 127.0.0.1 only. pg_autoctl refuses to run as root, so its processes run as the
# `postgres` user. Nothing here touches the machine's own PostgreSQL server.
#
# usage: scripts/failover-cluster.sh start|stop|status|url|kill-primary|rejoin [DIR]
#   start         install pg_auto_failover if missing, create and run the cluster,
#                 return once the primary and its synchronous secondary are up
#   stop          stop every process of the cluster and remove DIR
#   status        the monitor's view of the nodes
#   url           the MOPS_DATABASE_URL of the cluster (both nodes, read-write)
#   kill-primary  kill -9 the current primary's pg_autoctl and postgres (a node crash)
#   rejoin        restart the node that is down: it comes back as the secondary
#
# DIR defaults to $MOPS_FAILOVER_DIR or /tmp/mops-failover; the monitor listens on
# $MOPS_FAILOVER_PORT (default 55432), the nodes on the two ports after it.
set -euo pipefail

ACTION=${1:-}
DIR=${2:-${MOPS_FAILOVER_DIR:-/tmp/mops-failover}}
MONITOR_PORT=${MOPS_FAILOVER_PORT:-55432}
NODE_PORTS=("$((MONITOR_PORT + 1))" "$((MONITOR_PORT + 2))")
PG_BIN=/usr/lib/postgresql/15/bin
PACKAGE=postgresql-15-auto-failover
# pg_autoctl refuses to run as root: root runs it as postgres.
OWNER=postgres
DBNAME=mops
MARKER=.mops-failover-cluster
MONITOR_URI="postgres://autoctl_node@127.0.0.1:${MONITOR_PORT}/pg_auto_failover?sslmode=disable"
# Failover timing (see docs/DEPLOYMENT.md): the monitor declares a node dead after
# a few failed checks and promotes the secondary once the old primary had time to
# demote itself. The primary demotes itself after network_partition_timeout
# without the monitor and its standby, so primary_demote_timeout must exceed it.
HEALTH_CHECK_PERIOD_MS=1000
HEALTH_CHECK_TIMEOUT_MS=1000
HEALTH_CHECK_RETRIES=1
HEALTH_CHECK_RETRY_DELAY_MS=500
UNHEALTHY_TIMEOUT_MS=5000
NETWORK_PARTITION_TIMEOUT_S=5
PRIMARY_DEMOTE_TIMEOUT_MS=8000
START_TIMEOUT_S=90
STARTED=no

die() {
    echo "failover-cluster: $*" >&2
    exit 1
}

log() {
    echo "failover-cluster: $*" >&2
}

check_user() {
    [ "$(id -u)" = 0 ] || [ "$(id -un)" = "$OWNER" ] || die "run this as root or as $OWNER"
    id "$OWNER" >/dev/null 2>&1 || die "there is no $OWNER user (it comes with PostgreSQL)"
}

check_dir() {
    check_user
    case "$DIR" in
        /*) ;;
        *) DIR="$(pwd)/$DIR" ;;
    esac
    DIR="${DIR%/}"
    case "$DIR" in
        "" | / | /tmp) die "refusing DIR '$DIR'" ;;
        /var/lib/postgresql* | /etc/postgresql*) die "refusing DIR '$DIR': the machine's own server" ;;
    esac
    for port in "$MONITOR_PORT" "${NODE_PORTS[@]}"; do
        [ "$port" != 5432 ] || die "refusing port 5432: the machine's own server"
    done
}

# Run a command as the cluster's owner, with pg_autoctl's files kept under DIR.
as_owner() {
    local prefix=()
    if [ "$(id -u)" = 0 ]; then
        prefix=(setpriv --reuid="$OWNER" --regid="$OWNER" --init-groups --)
    fi
    (cd "$DIR" && "${prefix[@]}" env \
        HOME="$DIR" \
        PATH="$PG_BIN:/usr/bin:/bin" \
        XDG_CONFIG_HOME="$DIR/config" \
        XDG_DATA_HOME="$DIR/share" \
        XDG_RUNTIME_DIR="$DIR/run" \
        PG_AUTOCTL_DEBUG= \
        MOPS_FAILOVER_CLUSTER="$DIR" \
        "$@")
}

install_package() {
    if command -v pg_autoctl >/dev/null && [ -f /usr/lib/postgresql/15/lib/pgautofailover.so ]; then
        return
    fi
    [ "$(id -u)" = 0 ] || die "pg_auto_failover is not installed; as root: apt-get install $PACKAGE"
    log "installing $PACKAGE"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends "$PACKAGE" >/dev/null; then
        apt-get update -q >/dev/null
        apt-get install -y -q --no-install-recommends "$PACKAGE" >/dev/null
    fi
}

monitor_sql() {
    as_owner "$PG_BIN/psql" -X -q -At -h 127.0.0.1 -p "$MONITOR_PORT" -U "$OWNER" \
        -d pg_auto_failover -c "$1"
}

node_sql() {
    local port
    port=$(monitor_sql "select nodeport from pgautofailover.node where nodename = '$1'")
    as_owner "$PG_BIN/psql" -X -q -At -h 127.0.0.1 -p "$port" -U "$OWNER" -d "$DBNAME" -c "$2"
}

# Wait until the monitor's query answers the expected text.
wait_for() {
    local what=$1 query=$2 expected=$3 deadline=$((SECONDS + START_TIMEOUT_S))
    until [ "$(monitor_sql "$query" 2>/dev/null || true)" = "$expected" ]; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "timed out waiting for $what; logs in $DIR/*.log"
            tail -n 20 "$DIR"/*.log >&2 || true
            return 1
        fi
        sleep 0.5
    done
}

# Start a pg_autoctl command in the background, in a session of its own.
launch() {
    local name=$1
    shift
    as_owner setsid "$@" >>"$DIR/$name.log" 2>&1 </dev/null &
}

start_monitor() {
    launch monitor pg_autoctl create monitor --pgdata "$DIR/monitor" --pgport "$MONITOR_PORT" \
        --pgctl "$PG_BIN/pg_ctl" --hostname 127.0.0.1 --listen 127.0.0.1 --auth trust --no-ssl \
        --run
    wait_for "the monitor" "select 1" 1
    monitor_sql "alter system set pgautofailover.health_check_period = $HEALTH_CHECK_PERIOD_MS"
    monitor_sql "alter system set pgautofailover.health_check_timeout = $HEALTH_CHECK_TIMEOUT_MS"
    monitor_sql "alter system set pgautofailover.health_check_max_retries = $HEALTH_CHECK_RETRIES"
    monitor_sql "alter system set pgautofailover.health_check_retry_delay = $HEALTH_CHECK_RETRY_DELAY_MS"
    monitor_sql "alter system set pgautofailover.node_considered_unhealthy_timeout = $UNHEALTHY_TIMEOUT_MS"
    monitor_sql "alter system set pgautofailover.primary_demote_timeout = $PRIMARY_DEMOTE_TIMEOUT_MS"
    monitor_sql "select pg_reload_conf()" >/dev/null
}

start_node() {
    local name=$1 port=$2
    launch "$name" pg_autoctl create postgres --pgdata "$DIR/$name" --pgport "$port" \
        --pgctl "$PG_BIN/pg_ctl" --pghost 127.0.0.1 --listen 127.0.0.1 --hostname 127.0.0.1 \
        --name "$name" --dbname "$DBNAME" --username "$OWNER" --auth trust --no-ssl \
        --monitor "$MONITOR_URI" --run
}

tune_node() {
    as_owner pg_autoctl config set --pgdata "$DIR/$1" \
        timeout.network_partition_timeout "$NETWORK_PARTITION_TIMEOUT_S" >/dev/null
}

node_states() {
    echo "select string_agg(nodename || '=' || reportedstate || '/' || goalstate, ' '
        order by nodename) from pgautofailover.node"
}

cmd_start() {
    check_dir
    if [ -f "$DIR/$MARKER" ]; then
        log "a cluster is already in $DIR: stopping it first"
        cmd_stop
    fi
    [ ! -e "$DIR" ] || die "$DIR exists and is not a failover cluster's directory"
    for port in "$MONITOR_PORT" "${NODE_PORTS[@]}"; do
        if [ -n "$(ss -Hltn "sport = :$port")" ]; then
            die "port $port is taken"
        fi
    done
    install_package
    mkdir -p "$DIR/config" "$DIR/share" "$DIR/run"
    touch "$DIR/$MARKER"
    chown -R "$OWNER:" "$DIR"
    chmod 700 "$DIR"
    trap 'if [ "$STARTED" != yes ]; then log "start failed: stopping"; cmd_stop; fi' EXIT
    start_monitor
    start_node node1 "${NODE_PORTS[0]}"
    wait_for "node1 as the single node" "$(node_states)" "node1=single/single"
    # The secondary's base backup waits for a checkpoint that PostgreSQL spreads
    # over minutes: one now leaves that checkpoint (almost) nothing to write.
    node_sql node1 "checkpoint"
    start_node node2 "${NODE_PORTS[1]}"
    wait_for "the primary and its secondary" "$(node_states)" \
        "node1=primary/primary node2=secondary/secondary"
    tune_node node1
    tune_node node2
    STARTED=yes
    log "up in $DIR: $(cmd_url)"
}

# Every process of the cluster: pg_autoctl carries the marker in its environment;
# postgres rewrites its environment area for its process title but keeps its
# working directory, its data directory under DIR.
cluster_pids() {
    {
        find /proc/[0-9]*/cwd -maxdepth 0 \( -lname "$DIR" -o -lname "$DIR/*" \) 2>/dev/null
        grep -lszxF "MOPS_FAILOVER_CLUSTER=$DIR" /proc/[0-9]*/environ 2>/dev/null
        true
    } | cut -d/ -f3 | sort -un
}

# The processes of one node: postgres runs in its data directory.
node_processes() {
    find /proc/[0-9]*/cwd -maxdepth 0 -lname "$DIR/$1" 2>/dev/null | cut -d/ -f3
}

cmd_stop() {
    check_dir
    [ -e "$DIR" ] || return 0
    [ -f "$DIR/$MARKER" ] || die "$DIR is not a failover cluster's directory: not touching it"
    local name pids port
    for name in node2 node1 monitor; do
        if [ -d "$DIR/$name" ]; then
            as_owner timeout 10 pg_autoctl stop --pgdata "$DIR/$name" --immediate \
                >/dev/null 2>&1 || true
        fi
    done
    for _ in $(seq 1 20); do
        pids=$(cluster_pids)
        [ -n "$pids" ] || break
        sleep 0.5
    done
    pids=$(cluster_pids)
    if [ -n "$pids" ]; then
        # shellcheck disable=SC2086
        kill -9 $pids 2>/dev/null || true
        sleep 0.5
    fi
    # A killed postgres leaves its socket and lock file behind.
    for port in "$MONITOR_PORT" "${NODE_PORTS[@]}"; do
        if [ -z "$(ss -Hlx "src /var/run/postgresql/.s.PGSQL.$port")" ]; then
            rm -f "/var/run/postgresql/.s.PGSQL.$port" "/var/run/postgresql/.s.PGSQL.$port.lock"
        fi
    done
    rm -rf "$DIR"
    log "stopped; $DIR removed"
}

cmd_status() {
    check_dir
    [ -f "$DIR/$MARKER" ] || die "no cluster in $DIR"
    as_owner pg_autoctl show state --pgdata "$DIR/monitor"
}

cmd_url() {
    echo "postgresql://$OWNER@127.0.0.1:${NODE_PORTS[0]},127.0.0.1:${NODE_PORTS[1]}/$DBNAME?target_session_attrs=read-write"
}

# A crash of the primary's host: SIGKILL to its pg_autoctl (a session of its own:
# the supervisor, its services and the postmaster) and to the postmaster, whose
# backends then exit on their own. Returns once all of them are gone (a backend
# that outlived its postmaster for a moment could still answer), and prints the
# node's name and port.
cmd_kill_primary() {
    check_dir
    local primary supervisor postmaster port
    primary=$(monitor_sql "select nodename from pgautofailover.node
        where reportedstate in ('primary', 'wait_primary', 'single') order by nodeid limit 1")
    [ -n "$primary" ] || die "no primary"
    supervisor=$(head -n 1 "$DIR/run/pg_autoctl$DIR/$primary/pg_autoctl.pid")
    postmaster=$(head -n 1 "$DIR/$primary/postmaster.pid")
    port=$(monitor_sql "select nodeport from pgautofailover.node where nodename = '$primary'")
    kill -9 -- "-$supervisor" "$postmaster"
    for _ in $(seq 1 50); do
        [ -n "$(node_processes "$primary")" ] || break
        sleep 0.1
    done
    echo "$primary $port"
}

# Restart the pg_autoctl of a node that is down: it rejoins as the secondary (after
# pg_rewind if need be), and the primary replicates synchronously again.
cmd_rejoin() {
    check_dir
    [ -f "$DIR/$MARKER" ] || die "no cluster in $DIR"
    local name
    for name in node1 node2; do
        if [ -z "$(node_processes "$name")" ]; then
            log "restarting $name"
            launch "$name" pg_autoctl run --pgdata "$DIR/$name"
        fi
    done
    wait_for "a primary and its secondary" \
        "select count(*) from pgautofailover.node where reportedstate = goalstate
            and reportedstate in ('primary', 'secondary')" 2
}

case "$ACTION" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    url) cmd_url ;;
    kill-primary) cmd_kill_primary ;;
    rejoin) cmd_rejoin ;;
    *) die "usage: $0 start|stop|status|url|kill-primary|rejoin [DIR]" ;;
esac
