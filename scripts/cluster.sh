#!/usr/bin/env bash
# A local cluster in one command (`make cluster`, `make cluster-stop`,
# `make cluster-test`, `make load`), on this machine's 127.0.0.1 only:
#
#   PostgreSQL primary   the private cluster of scripts/setup.sh (port 5439),
#                        configured for streaming replication (idempotent: a
#                        replication role, a pg_hba line, a reload; a restart
#                        only if wal_level or max_wal_senders were too low)
#   hot-standby replica  made with pg_basebackup from the primary, streaming
#                        through a replication slot, on port 5440, in the
#                        cache ($CACHE/cluster/replica)
#   two Odoo servers     ports 8170 and 8171, 2 HTTP workers and 1 cron
#                        worker each, one shared filestore (the cache's), both
#                        with db_replica_host/db_replica_port: routes declared
#                        readonly=True read the replica, the rest the primary
#   demo database        pass_cluster, created as `make run` does
#
# Sub-commands: start | stop | status | test | load (load: scripts/load_run.py)
#
#   CLUSTER_DB=name           the database (default pass_cluster)
#   CLUSTER_REPLICA_PORT=5440 the replica's port
#   CLUSTER_HTTP_PORTS="8170 8171"  the Odoo servers' ports
#   CLUSTER_WORKERS=2         HTTP workers per server
#
# stop stops the two servers and the replica, drops the replica and its
# slot (the primary keeps no WAL for it); the primary and the database stay.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
SETUP="bash scripts/setup.sh"

DB="${CLUSTER_DB:-pass_cluster}"
REPLICA_PORT="${CLUSTER_REPLICA_PORT:-5440}"
read -r -a HTTP_PORTS <<< "${CLUSTER_HTTP_PORTS:-8170 8171}"
WORKERS="${CLUSTER_WORKERS:-2}"
SLOT=pass_replica
REPL_ROLE=pass_replicator

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '\n[cluster] %s\n\n' "$*" >&2; exit 1; }

eval "$($SETUP vars)"
PGBIN="${PASS_PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
PGDATA="$CACHE/pg/data"
PGRUN="$CACHE/pg/run"
DIR="$CACHE/cluster"
REPLICA="$DIR/replica"
REPLICA_RUN="$DIR/replica-run"

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
psql_su() { as_pg "$PGBIN/psql" -X -q -h "$PGRUN" -p "$PGPORT" -U postgres -tA "$@"; }
psql_replica() {
  as_pg "$PGBIN/psql" -X -q -h "$REPLICA_RUN" -p "$REPLICA_PORT" -U postgres -tA "$@"
}

# ---------------------------------------------------------------- primary
replication_password() {
  local file="$DIR/replication_password"
  if [ ! -s "$file" ]; then
    (umask 077; python3 -c 'import secrets; print(secrets.token_hex(24))' > "$file")
  fi
  head -n 1 "$file"
}

configure_primary() {
  $SETUP pg
  local restart=0 level senders
  level="$(psql_su -c 'SHOW wal_level' postgres)"
  senders="$(psql_su -c 'SHOW max_wal_senders' postgres)"
  if [ "$level" = minimal ]; then
    psql_su -c "ALTER SYSTEM SET wal_level = replica" postgres; restart=1
  fi
  if [ "$senders" -lt 4 ]; then
    psql_su -c "ALTER SYSTEM SET max_wal_senders = 10" postgres; restart=1
  fi
  # A physical replication role with a password of its own (never odoo's).
  local pw
  pw="$(replication_password)"
  psql_su -v pw="$pw" postgres <<'SQL'
SELECT format('CREATE ROLE %I LOGIN REPLICATION', 'pass_replicator')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pass_replicator') \gexec
ALTER ROLE pass_replicator WITH LOGIN REPLICATION PASSWORD :'pw';
SQL
  local hba="$PGDATA/pg_hba.conf"
  if ! as_pg grep -qE "^host\s+replication\s+($REPL_ROLE|all)\s+127\.0\.0\.1/32" "$hba"; then
    log "allowing replication from 127.0.0.1 in $hba"
    echo "host    replication     $REPL_ROLE   127.0.0.1/32   scram-sha-256" |
      as_pg tee -a "$hba" >/dev/null
    psql_su -c "SELECT pg_reload_conf()" postgres >/dev/null
  fi
  if [ "$restart" = 1 ]; then
    log "restarting the primary for wal_level/max_wal_senders"
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$CACHE/pg/postgresql.log" -w -t 120 restart >/dev/null
  fi
}

# ---------------------------------------------------------------- replica
replica_running() {
  [ -f "$REPLICA/PG_VERSION" ] && as_pg "$PGBIN/pg_ctl" -D "$REPLICA" status >/dev/null 2>&1
}

start_replica() {
  mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres: "$DIR" && chmod 755 "$DIR"
  if replica_running; then log "replica already running on 127.0.0.1:$REPLICA_PORT"; return 0; fi
  if [ ! -f "$REPLICA/standby.signal" ]; then
    as_pg rm -rf "$REPLICA"
    psql_su -c "SELECT pg_drop_replication_slot('$SLOT') FROM pg_replication_slots WHERE slot_name = '$SLOT'" postgres >/dev/null
    log "pg_basebackup of the primary into $REPLICA (the whole private cluster)"
    as_pg env PGPASSWORD="$(replication_password)" "$PGBIN/pg_basebackup" \
      -h 127.0.0.1 -p "$PGPORT" -U "$REPL_ROLE" -D "$REPLICA" \
      --wal-method=stream --checkpoint=fast --create-slot --slot="$SLOT" \
      --write-recovery-conf --no-sync
    as_pg mkdir -p "$REPLICA_RUN"
    # The primary's settings came with the copy: the replica's own port and
    # socket, a smaller cache, and it answers read-only queries.
    cat <<EOF | as_pg tee -a "$REPLICA/postgresql.conf" >/dev/null
# scripts/cluster.sh: hot-standby replica
port = $REPLICA_PORT
unix_socket_directories = '$REPLICA_RUN'
shared_buffers = 256MB
hot_standby = on
hot_standby_feedback = on
max_standby_streaming_delay = 5s
EOF
  fi
  as_pg mkdir -p "$REPLICA_RUN"
  log "starting the replica on 127.0.0.1:$REPLICA_PORT"
  as_pg "$PGBIN/pg_ctl" -D "$REPLICA" -l "$DIR/replica.log" -w -t 120 start >/dev/null
  [ "$(psql_replica -c 'SELECT pg_is_in_recovery()' postgres)" = t ] ||
    die "the replica on port $REPLICA_PORT is not in recovery (see $DIR/replica.log)"
}

stop_replica() {
  if replica_running; then
    log "stopping the replica"
    as_pg "$PGBIN/pg_ctl" -D "$REPLICA" -w -t 60 -m fast stop >/dev/null || true
  fi
}

drop_replica() {
  stop_replica
  as_pg rm -rf "$REPLICA" "$REPLICA_RUN"
  if as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    psql_su -c "SELECT pg_drop_replication_slot('$SLOT') FROM pg_replication_slots WHERE slot_name = '$SLOT' AND NOT active" postgres >/dev/null || true
  fi
}

# ---------------------------------------------------------------- Odoo servers
server_conf() {
  # The checkout's configuration (addons path, data_dir = the one shared
  # filestore, master password) with the replica and this server's own
  # settings (a key may appear once: they replace the base's).
  local name="$1" port="$2" gevent="$3" conf="$DIR/odoo-$1.conf"
  local keys='http_port|gevent_port|workers|max_cron_threads|db_name|dbfilter|logfile|pidfile|db_replica_host|db_replica_port'
  (umask 077; {
    grep -vE "^($keys)\s*=" "$CONF"
    echo "; scripts/cluster.sh: server $name"
    echo "db_replica_host = 127.0.0.1"
    echo "db_replica_port = $REPLICA_PORT"
    echo "http_port = $port"
    echo "gevent_port = $gevent"
    echo "workers = $WORKERS"
    echo "max_cron_threads = 1"
    echo "db_name = $DB"
    echo "dbfilter = ^$DB\$"
    echo "logfile = $DIR/odoo-$name.log"
    echo "pidfile = $DIR/odoo-$name.pid"
  } > "$conf")
  echo "$conf"
}

server_pid() {
  local pidfile="$DIR/odoo-$1.pid"
  [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && cat "$pidfile"
}

start_server() {
  local name="$1" port="$2" gevent="$3" conf
  if server_pid "$name" >/dev/null; then log "server $name already running on $port"; return 0; fi
  conf="$(server_conf "$name" "$port" "$gevent")"
  log "starting Odoo server $name on http://127.0.0.1:$port ($WORKERS workers + 1 cron worker)"
  setsid "$PY" "$ODOO_SRC/odoo-bin" -c "$conf" --log-level=warn </dev/null >/dev/null 2>&1 &
  local deadline=$(( $(date +%s) + 180 ))
  until curl -fs -o /dev/null "http://127.0.0.1:$port/web/health"; do
    [ "$(date +%s)" -gt "$deadline" ] && die "server $name did not answer on $port (see $DIR/odoo-$name.log)"
    sleep 1
  done
}

stop_server() {
  local name="$1" pid
  if pid="$(server_pid "$name")"; then
    log "stopping Odoo server $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$DIR/odoo-$name.pid"
}

# ---------------------------------------------------------------- commands
start() {
  $SETUP env
  mkdir -p "$DIR"
  configure_primary
  $SETUP db "$DB" demo
  start_replica
  start_server a "${HTTP_PORTS[0]}" $(( HTTP_PORTS[0] + 10 ))
  start_server b "${HTTP_PORTS[1]}" $(( HTTP_PORTS[1] + 10 ))
  status
  echo
  echo "  Pass Numérique cluster (database $DB): http://127.0.0.1:${HTTP_PORTS[0]}/odoo and http://127.0.0.1:${HTTP_PORTS[1]}/odoo"
  echo "  primary 127.0.0.1:$PGPORT, replica 127.0.0.1:$REPLICA_PORT; stop with: make cluster-stop"
  echo
}

stop() {
  stop_server a
  stop_server b
  drop_replica
  log "stopped (the primary and the database $DB stay)"
}

status() {
  local lag
  for name in a b; do
    if pid="$(server_pid "$name")"; then log "server $name: running (pid $pid)"; else log "server $name: stopped"; fi
  done
  if replica_running; then
    lag="$(psql_su -c "SELECT coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), -1) FROM pg_stat_replication WHERE application_name <> '' LIMIT 1" postgres)"
    log "replica: running on $REPLICA_PORT, streaming, ${lag:-?} bytes behind"
  else
    log "replica: stopped"
  fi
}

cmd="${1:-start}"; shift || true
case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  test)
    replica_running || die "no cluster running: make cluster first"
    rc=0
    "$PY" scripts/cluster_check.py --db "$DB" --conf "$CONF" --odoo-src "$ODOO_SRC" \
      --ports "${HTTP_PORTS[@]}" --replica-port "$REPLICA_PORT" --replica-run "$REPLICA_RUN" \
      --pgbin "$PGBIN" --replica-data "$REPLICA" "$@" || rc=$?
    # The check stopped the replica: Odoo's workers fell back to the primary
    # and would try the replica again only in 20 minutes.
    log "restarting the Odoo servers (back on the replica)"
    stop_server a; stop_server b
    start_server a "${HTTP_PORTS[0]}" $(( HTTP_PORTS[0] + 10 ))
    start_server b "${HTTP_PORTS[1]}" $(( HTTP_PORTS[1] + 10 ))
    exit $rc ;;
  load)
    replica_running || die "no cluster running: make cluster first"
    "$PY" -m pip show -q locust >/dev/null 2>&1 ||
      die "locust is not installed in $VENV: $PY -m pip install locust==2.20.1"
    exec "$PY" scripts/load_run.py --db "$DB" --conf "$CONF" --odoo-src "$ODOO_SRC" \
      --ports "${HTTP_PORTS[@]}" --replica-port "$REPLICA_PORT" "$@" ;;
  *) die "unknown sub-command '$cmd' (start|stop|status|test|load)" ;;
esac
