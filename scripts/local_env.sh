#!/usr/bin/env bash
# The environment of the project's own servers, as `export` lines for `eval`:
#   scripts/local_env.sh demo   `make demo` / `make serve`: debug off (plain error pages,
#                               JSON errors on the API), only this machine's host names,
#                               plain HTTP allowed for them (DJANGO_LOCAL_HTTP=1)
#   scripts/local_env.sh dev    `make dev`: the same secrets, debug pages on
# The secret key, the parking credential key and the keys sealing notification and device
# secrets are generated once and kept in $LOCAL_SECRETS (default .local/secrets.env,
# readable by the owner only), so sessions, plate hashes and sealed secrets survive
# restarts and both modes read the same data.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECRETS=${LOCAL_SECRETS:-$ROOT/.local/secrets.env}
MODE=${1:-demo}

case "$MODE" in
  demo|dev) ;;
  *) echo "usage: $0 demo|dev" >&2; exit 2 ;;
esac

token() { python3 -c 'import secrets, sys; print(secrets.token_urlsafe(int(sys.argv[1])))' "$1"; }

# The generated keys; a key added in a later version is appended to an existing file.
NAMES=(DJANGO_SECRET_KEY PARKING_CREDENTIAL_KEY NOTIFY_SECRET_KEY DEVICES_SECRET_KEY MATTERS_SECRET_KEY)
mkdir -p "$(dirname "$SECRETS")"
(
  umask 077
  touch "$SECRETS"
  chmod 600 "$SECRETS"
  for name in "${NAMES[@]}"; do
    if ! grep -qE "^$name=" "$SECRETS"; then
      echo "$name=$(token 48)" >>"$SECRETS"
    fi
  done
)

# Only these keys are read from the file (token_urlsafe: letters, digits, - and _).
PATTERN=$(IFS='|'; echo "${NAMES[*]}")
KEYS=$(grep -E "^($PATTERN)=[A-Za-z0-9_-]{32,}$" "$SECRETS" || true)
if [ "$(printf '%s\n' "$KEYS" | grep -c .)" -ne "${#NAMES[@]}" ]; then
  echo "error: $SECRETS does not hold the ${#NAMES[@]} generated keys; delete it to generate new ones" >&2
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
