#!/usr/bin/env bash
# Project set-up shared by `make run`, `make test`, `make bench`, `make lint`.
#
# Everything heavy lives in a cache directory outside the checkout, so that a
# fresh clone on the same machine (as CI uses) finds it again:
#   $PASS_CACHE_DIR              default ~/.cache/pass-numerique, or
#                                /var/cache/pass-numerique when run as root
#     odoo_src                   the Odoo 18.0 source path we were given (remembered)
#     venv/                      the virtualenv (Odoo's + the project's requirements)
#     oca/                       OCA addons installed from PyPI (odoo-addon-*)
#     pg/data, pg/run            the private PostgreSQL cluster and its socket
#     filestore/                 Odoo's data_dir
#     master_password            the master password of the database manager,
#                                random, generated once (mode 600); the
#                                generated configurations carry it, and they
#                                keep the database manager closed (list_db)
#     conf/odoo-<checkout>.conf  generated Odoo configuration, one per checkout
#                                (its addons path points into that checkout, so a
#                                CI clone and a working copy never load each
#                                other's code)
#
# Sub-commands: env | pg | conf | db NAME [demo|nodemo] | dropdb NAME | odoo ARGS... | python ARGS...
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "$(id -u)" = 0 ]; then
  DEFAULT_CACHE=/var/cache/pass-numerique
else
  DEFAULT_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/pass-numerique"
fi
CACHE="${PASS_CACHE_DIR:-$DEFAULT_CACHE}"
VENV="$CACHE/venv"
PY="$VENV/bin/python"
PGPORT="${PASS_PGPORT:-5439}"
PGDATA="$CACHE/pg/data"
PGRUN="$CACHE/pg/run"
CONF="$CACHE/conf/odoo-$(printf '%s' "$REPO" | sha1sum | cut -c1-12).conf"
PGBIN="${PASS_PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
ODOO_UPSTREAM="https://github.com/odoo/odoo.git"

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '\n%s\n\n' "$*" >&2; exit 1; }

mkdir -p "$CACHE"

# ---------------------------------------------------------------- Odoo source
is_odoo18() { [ -f "$1/odoo-bin" ] && [ -f "$1/odoo/release.py" ] &&
  grep -q "^version_info = (18, 0" "$1/odoo/release.py"; }

resolve_odoo_src() {
  local src="${ODOO_SRC:-}"
  if [ -n "$src" ]; then
    src="$(cd "$src" 2>/dev/null && pwd)" || die "ODOO_SRC=$ODOO_SRC does not exist: set ODOO_SRC to the folder of an Odoo 18.0 source tree (the one holding odoo-bin)."
    is_odoo18 "$src" || die "ODOO_SRC=$src is not an Odoo 18.0 source tree: set ODOO_SRC to the folder holding odoo-bin and odoo/release.py of Odoo 18.0."
    echo "$src" > "$CACHE/odoo_src"
  elif [ -f "$CACHE/odoo_src" ] && is_odoo18 "$(cat "$CACHE/odoo_src")"; then
    src="$(cat "$CACHE/odoo_src")"
  elif [ -d "$CACHE/odoo" ] && is_odoo18 "$CACHE/odoo"; then
    src="$CACHE/odoo"
  else
    log "no ODOO_SRC given: trying to clone Odoo 18.0 from upstream"
    if timeout 600 git clone -q --depth 1 --branch 18.0 "$ODOO_UPSTREAM" "$CACHE/odoo.tmp" 2>/dev/null; then
      mv "$CACHE/odoo.tmp" "$CACHE/odoo"
      src="$CACHE/odoo"
      echo "$src" > "$CACHE/odoo_src"
    else
      rm -rf "$CACHE/odoo.tmp"
      die "No Odoo 18.0 source found and upstream cannot be cloned: run again with ODOO_SRC=/path/to/odoo-18.0 (a folder holding odoo-bin), e.g. 'ODOO_SRC=/opt/odoo-18.0 make test'."
    fi
  fi
  ODOO_SRC="$src"
  export ODOO_SRC
}

# ---------------------------------------------------------------- system packages
APT_PACKAGES=(libpq-dev libldap2-dev libsasl2-dev postgresql chromium poppler-utils wkhtmltopdf fonts-dejavu-core)

ensure_apt() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing system packages: ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    log "missing system packages (install them as root): ${missing[*]}"
  fi
}

# ---------------------------------------------------------------- virtualenv
# Odoo 18's pinned cbor2 5.4.2 needs pkg_resources at build time: take 5.6.2.
odoo_requirements() {
  sed -e 's/^cbor2==5\.4\.2.*/cbor2==5.6.2/' "$ODOO_SRC/requirements.txt"
}

ensure_venv() {
  local stamp want
  want="$( (odoo_requirements; cat "$REPO/requirements.txt" "$REPO/requirements-oca.txt"; echo "$ODOO_SRC") | sha1sum | cut -c1-16)"
  stamp="$VENV/.pass-stamp"
  if [ -x "$PY" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  local pybin="${PASS_PYTHON:-$(command -v python3.11 || command -v python3)}"
  [ -x "$PY" ] || { log "creating virtualenv $VENV"; "$pybin" -m venv "$VENV"; }
  log "installing or updating Python requirements (a few minutes the first time)"
  "$PY" -m pip install -q --upgrade "pip<25" "setuptools<70" wheel
  odoo_requirements > "$CACHE/odoo-requirements.txt"
  "$PY" -m pip install -q -r "$CACHE/odoo-requirements.txt" -r "$REPO/requirements.txt"
  # OCA addons from PyPI: they declare a dependency on an `odoo` distribution
  # that does not exist outside Odoo's own packaging, so install them without
  # dependencies into their own folder, which goes on the addons path.
  # Built aside, then swapped in, so that a running Odoo never sees it half-made.
  rm -rf "$CACHE/oca.new" "$CACHE/oca.old"
  grep -vE '^\s*(#|$)' "$REPO/requirements-oca.txt" > "$CACHE/oca-requirements.txt" || true
  if [ -s "$CACHE/oca-requirements.txt" ]; then
    "$PY" -m pip install -q --no-deps --target "$CACHE/oca.new" -r "$CACHE/oca-requirements.txt"
  fi
  mkdir -p "$CACHE/oca.new/odoo/addons"
  [ -d "$CACHE/oca" ] && mv "$CACHE/oca" "$CACHE/oca.old"
  mv "$CACHE/oca.new" "$CACHE/oca"
  rm -rf "$CACHE/oca.old"
  # Make `import odoo` work in the venv (pytest-odoo, scripts) without copying Odoo.
  local site
  site="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  echo "$ODOO_SRC" > "$site/odoo-src.pth"
  echo "$want" > "$stamp"
}

# ---------------------------------------------------------------- PostgreSQL
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_pg() {
  [ -x "$PGBIN/initdb" ] || die "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin): install the 'postgresql' package, or set PASS_PGBIN."
  mkdir -p "$CACHE/pg"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$CACHE/pg"; chmod 755 "$CACHE" ; fi
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    log "creating private PostgreSQL cluster in $PGDATA"
    as_pg mkdir -p "$PGDATA" "$PGRUN"
    as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    cat <<EOF | as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PGRUN'
max_connections = 200
shared_buffers = 512MB
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  fi
  as_pg mkdir -p "$PGRUN"
  if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    log "starting PostgreSQL on 127.0.0.1:$PGPORT"
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$CACHE/pg/postgresql.log" -w -t 60 start >/dev/null
  fi
  if ! as_pg "$PGBIN/psql" -h "$PGRUN" -p "$PGPORT" -U postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='odoo'" postgres | grep -q 1; then
    as_pg "$PGBIN/psql" -q -h "$PGRUN" -p "$PGPORT" -U postgres \
      -c "CREATE ROLE odoo LOGIN CREATEDB PASSWORD 'odoo'" postgres
  fi
  # Bulk issuing (pass.program.issue_books) checks the rows its books and
  # passes refer to once, then switches the per-row foreign-key triggers off
  # for its INSERTs: it may, from PostgreSQL 15, with this grant (idempotent).
  if [ "$(cat "$PGDATA/PG_VERSION")" -ge 15 ] 2>/dev/null; then
    as_pg "$PGBIN/psql" -q -h "$PGRUN" -p "$PGPORT" -U postgres \
      -c "GRANT SET ON PARAMETER session_replication_role TO odoo" postgres
  fi
}

# ---------------------------------------------------------------- Odoo config
# The master password (admin_passwd) of every generated configuration: random,
# made once per cache and kept in a file only its owner reads. Created under a
# temporary name then hard-linked into place, so that two set-ups running at
# once agree on one password (the link fails for the slower one).
master_password() {
  local file="$CACHE/master_password" tmp
  if [ ! -s "$file" ]; then
    tmp="$(mktemp "$CACHE/.master_password.XXXXXX")"
    chmod 600 "$tmp"
    { python3 -c 'import secrets; print(secrets.token_urlsafe(32))' 2>/dev/null ||
      openssl rand -hex 32; } > "$tmp"
    [ -s "$tmp" ] || { rm -f "$tmp"; die "could not generate a master password (python3 or openssl needed)"; }
    ln "$tmp" "$file" 2>/dev/null || true
    rm -f "$tmp"
  fi
  chmod 600 "$file"
  head -n 1 "$file"
}

write_conf() {
  local addons="$REPO/addons,$CACHE/oca/odoo/addons,$ODOO_SRC/addons,$ODOO_SRC/odoo/addons"
  local passwd
  passwd="$(master_password)"
  mkdir -p "$CACHE/conf"
  # The configuration holds the master password: readable by its owner only.
  (umask 077; cat > "$CONF.tmp.$$" <<EOF
; generated by scripts/setup.sh from config/odoo.conf.in - do not edit
$(sed -e "s#@ADDONS_PATH@#$addons#" -e "s#@DATA_DIR@#$CACHE/filestore#" \
      -e "s#@PGPORT@#$PGPORT#" -e "s#@ADMIN_PASSWD@#$passwd#" "$REPO/config/odoo.conf.in")
EOF
  )
  mv "$CONF.tmp.$$" "$CONF"
  echo "$CONF"
}

odoo() {
  write_conf >/dev/null
  # A sub-command (shell, populate, ...) goes before the options.
  case "${1:-}" in
    shell|populate|cloc|neutralize|obfuscate|db|i18n) local sub="$1"; shift
      "$PY" "$ODOO_SRC/odoo-bin" "$sub" -c "$CONF" "$@" ;;
    *) "$PY" "$ODOO_SRC/odoo-bin" -c "$CONF" "$@" ;;
  esac
}

psql_odoo() {
  PGPASSWORD=odoo "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U odoo -X -q "$@"
}

db_exists() {
  echo "SELECT 1 FROM pg_database WHERE datname = :'n'" |
    psql_odoo -tA -v n="$1" postgres 2>/dev/null | grep -q 1
}

# db NAME demo|nodemo: create the database with both addons if it is missing
ensure_db() {
  local name="$1" demo="${2:-demo}" flags=()
  if db_exists "$name" && odoo_db_ready "$name"; then return 0; fi
  db_exists "$name" && drop_db "$name"
  [ "$demo" = demo ] || flags+=(--without-demo=all)
  log "creating database '$name' with pass_numerique and pass_settlement ($demo)"
  odoo -d "$name" -i pass_numerique,pass_settlement "${flags[@]}" --stop-after-init \
    --load-language=fr_FR --log-level=warn
}

odoo_db_ready() {
  psql_odoo -tAc "SELECT count(*) FROM ir_module_module WHERE name IN ('pass_numerique','pass_settlement') AND state='installed'" "$1" 2>/dev/null | grep -qx 2
}

drop_db() {
  PGPASSWORD=odoo "$PGBIN/dropdb" -h 127.0.0.1 -p "$PGPORT" -U odoo --if-exists --force "$1"
  rm -rf "$CACHE/filestore/filestore/$1"
}

everything() {
  resolve_odoo_src
  ensure_apt
  ensure_venv
  ensure_pg
  write_conf >/dev/null
}

cmd="${1:-env}"; shift || true
case "$cmd" in
  env) everything ;;
  pg) ensure_pg ;;
  conf) resolve_odoo_src; write_conf ;;
  db) everything; ensure_db "$@" ;;
  dropdb) resolve_odoo_src; ensure_pg; drop_db "$1" ;;
  odoo) resolve_odoo_src; odoo "$@" ;;
  python) resolve_odoo_src; exec "$PY" "$@" ;;
  vars)
    resolve_odoo_src
    printf 'CACHE=%s\nVENV=%s\nPY=%s\nODOO_SRC=%s\nPGPORT=%s\nCONF=%s\n' \
      "$CACHE" "$VENV" "$PY" "$ODOO_SRC" "$PGPORT" "$(write_conf)" ;;
  *) die "unknown sub-command '$cmd' (env|pg|conf|db|dropdb|odoo|python|vars)" ;;
esac
