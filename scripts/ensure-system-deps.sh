#!/usr/bin/env bash
# Installs the system packages Linli's tests need when they are missing (Debian; run as root in CI).
# Debian's postgresql package starts its own cluster on port 5432; Linli never uses it (it runs its own).
set -euo pipefail
need=()
command -v go >/dev/null 2>&1 || echo "warning: Go is not on PATH; the embedded FerretDB can only be built with Go >= 1.24 (or set MONGODB_URI)" >&2
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# The embedded FerretDB stores in its own PostgreSQL cluster (src/lib/embedded-pg.ts); Debian keeps the
# binaries in /usr/lib/postgresql/<n>/bin. Without them Linli falls back to SQLite (slower).
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null 2>&1 || need+=(postgresql)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
# schemathesis and the GeoReport client (test/clients) are installed from PyPI into a virtualenv.
python3 -c "import ensurepip" >/dev/null 2>&1 || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system packages: ${need[*]} (install them with apt-get as root)" >&2
    exit 1
  fi
  echo "Installing system packages: ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
