# Sourced by scripts/run and scripts/test: makes sure PostgreSQL and Redis are installed and
# running on this machine (Debian), and that what a fresh Debian root lacks for the build
# and the tests is there (CA certificates, the PostgreSQL and Redis clients, gcc for the
# race detector, Chromium), installing it with apt-get where missing.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

apt_updated=""
apt_install() {
  if [ -n "$SUDO" ] && ! command -v sudo >/dev/null; then
    echo "need to install $* but this is not root and there is no sudo: run as root or install sudo" >&2
    exit 1
  fi
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# ensure_base installs what a fresh Debian root lacks for the go command itself: the CA
# certificates that the module proxy's TLS needs.
ensure_base() {
  if [ ! -s /etc/ssl/certs/ca-certificates.crt ]; then
    echo "installing CA certificates…"
    apt_install ca-certificates
  fi
}

# ensure_cgo installs the C compiler and C library headers that `go test -race` needs (the
# race detector is built with cgo) and turns cgo on: without a C compiler the go command
# turns it off by itself, and -race then fails with "-race requires cgo".
ensure_cgo() {
  if ! command -v gcc >/dev/null || [ ! -e /usr/include/stdlib.h ]; then
    echo "installing gcc and the C library headers for the race detector…"
    apt_install gcc libc6-dev
  fi
  export CGO_ENABLED=1
}

ensure_postgres() {
  # The client tools (pg_isready, psql) first: a server may already be running.
  if ! command -v pg_isready >/dev/null || ! command -v psql >/dev/null; then
    echo "installing the PostgreSQL client…"
    apt_install postgresql-client
  fi
  if pg_isready -h 127.0.0.1 -p 5432 -q; then return; fi
  local fresh=""
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "installing PostgreSQL…"
    apt_install postgresql postgresql-client
    fresh=1
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ -n "$fresh" ]; then
    # A development machine: let local connections in without a password, as CI does.
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "/etc/postgresql/$version/main/pg_hba.conf"
  fi
  echo "starting PostgreSQL $version…"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 60); do pg_isready -h 127.0.0.1 -p 5432 -q && return; sleep 1; done
  echo "PostgreSQL did not start" >&2; exit 1
}

ensure_redis() {
  if ! command -v redis-cli >/dev/null; then
    echo "installing the Redis client…"
    apt_install redis-tools
  fi
  if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then return; fi
  if ! command -v redis-server >/dev/null; then
    echo "installing Redis…"
    apt_install redis-server
  fi
  echo "starting Redis…"
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/coopbot.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && return; sleep 1; done
  echo "Redis did not start" >&2; exit 1
}

ensure_database() {
  local name=$1
  if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $name"
  fi
}

ensure_chromium() {
  if command -v chromium >/dev/null; then return; fi
  echo "installing Chromium for the web chat tests…"
  apt_install chromium
}
