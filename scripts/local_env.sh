#!/usr/bin/env bash
# The environment of the project's own servers, as `export` lines for `eval`:
#   scripts/local_env.sh demo   `make demo` / `make serve`: debug off (plain error pages,
#                               JSON errors on the API), only this machine's host names,
#                               plain HTTP allowed for them (DJANGO_LOCAL_HTTP=1)
#   scripts/local_env.sh dev    `make dev`: the same secrets, debug pages on
# The secret key, the parking credential key and the key sealing device secrets are
# generated once and kept in $LOCAL_SECRETS (default .local/secrets.env, readable by the
# owner only), so sessions, plate hashes and device secrets survive restarts and both
# modes read the same data.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECRETS=${LOCAL_SECRETS:-$ROOT/.local/secrets.env}
MODE=${1:-demo}

case "$MODE" in
  demo|dev) ;;
  *) echo "usage: $0 demo|dev" >&2; exit 2 ;;
esac

token() { python3 -c 'import secrets, sys; print(secrets.token_urlsafe(int(sys.argv[1])))' "$1"; }

if [ ! -s "$SECRETS" ]; then
  mkdir -p "$(dirname "$SECRETS")"
  (
    umask 077
    {
      echo "DJANGO_SECRET_KEY=$(token 50)"
      echo "PARKING_CREDENTIAL_KEY=$(token 48)"
      echo "DEVICES_SECRET_KEY=$(token 48)"
    } >"$SECRETS.tmp"
  )
  mv "$SECRETS.tmp" "$SECRETS"
fi
# A file written before the device registry existed lacks its key: add it, keep the others.
if ! grep -qE '^DEVICES_SECRET_KEY=' "$SECRETS"; then
  (umask 077; echo "DEVICES_SECRET_KEY=$(token 48)" >>"$SECRETS")
fi

# Only the three keys are read from the file (token_urlsafe: letters, digits, - and _).
KEYS=$(grep -E '^(DJANGO_SECRET_KEY|PARKING_CREDENTIAL_KEY|DEVICES_SECRET_KEY)=[A-Za-z0-9_-]{32,}$' "$SECRETS" || true)
if [ "$(printf '%s\n' "$KEYS" | grep -c .)" -ne 3 ]; then
  echo "error: $SECRETS does not hold the three generated keys; delete it to generate new ones" >&2
  exit 2
fi
printf '%s\n' "$KEYS" | sed 's/^/export /'
if [ "$MODE" = demo ]; then
  echo "export DJANGO_DEBUG=0"
  echo "export DJANGO_LOCAL_HTTP=1"
  echo "export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost"
else
  echo "export DJANGO_DEBUG=1"
fi
