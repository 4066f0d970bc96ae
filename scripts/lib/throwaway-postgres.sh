# Sourced by scripts/test and scripts/bench-scale: finds (or, on Debian/Ubuntu as root,
# installs) the PostgreSQL server binaries, makes a cluster in a temporary directory on a free
# loopback port, exports THROWAWAY_POSTGRES_URL, and removes the cluster when the shell exits.

need_root_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "$0: installing $* with apt-get" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "$0: missing $*; install it (Debian/Ubuntu: sudo apt-get install $*) and rerun" >&2
    exit 1
  fi
}

start_throwaway_postgres() {
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    need_root_install postgresql
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  cluster=$(mktemp -d /tmp/safeloop-pg.XXXXXX)
  run_as=()
  if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root.
    chown postgres "$cluster"
    run_as=(runuser -u postgres --)
  fi
  port=0
  for _ in $(seq 1 50); do
    candidate=$(( 20000 + RANDOM % 30000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
  done
  [ "$port" != 0 ] || { echo "$0: no free port for PostgreSQL" >&2; exit 1; }
  stop_throwaway_postgres() {
    "${run_as[@]}" "$pg_bin/pg_ctl" -D "$cluster/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$cluster"
  }
  trap stop_throwaway_postgres EXIT
  "${run_as[@]}" "$pg_bin/initdb" -D "$cluster/data" -U postgres -A trust --no-sync >/dev/null
  "${run_as[@]}" "$pg_bin/pg_ctl" -D "$cluster/data" -l "$cluster/log" -w -o \
    "-c listen_addresses=127.0.0.1 -p $port -k $cluster -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 $*" \
    start >/dev/null
  export THROWAWAY_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
  export THROWAWAY_POSTGRES_BIN="$pg_bin"
  echo "$0: throwaway PostgreSQL at $THROWAWAY_POSTGRES_URL" >&2
}
