#!/usr/bin/env bash
# Project-local Mosquitto broker (Debian package `mosquitto`) under .local/mqtt, for the
# device ingest worker (community/devices: parking and every other device kind), the tests
# and the benchmark. Loopback only, logins required.
#   scripts/local_mqtt.sh start    write the configuration (first time), start, wait for the port
#   scripts/local_mqtt.sh stop
#   scripts/local_mqtt.sh status
# Accounts (passwords from the environment, development defaults otherwise):
#   parking-worker  (PARKING_MQTT_PASSWORD, default worker-local)  reads +/+/events
#   parking-device  (PARKING_MQTT_DEVICE_PASSWORD, default device-local) writes +/+/events
# (<kind topic>/<device id>/events: parking/..., and the topic of every other device kind)
# Devices are authenticated per device by the HMAC signature inside each message (see
# docs/PARKING.md, docs/DEVICES.md); the broker account only keeps strangers off the broker.
# When run as root the broker drops privileges to the `mosquitto` user, which then owns
# the directory.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${LOCAL_MQTT_DIR:-$ROOT/.local/mqtt}
PORT=${LOCAL_MQTT_PORT:-1884}
WORKER_PASSWORD=${PARKING_MQTT_PASSWORD:-worker-local}
DEVICE_PASSWORD=${PARKING_MQTT_DEVICE_PASSWORD:-device-local}
CONF="$DIR/mosquitto.conf"
PID="$DIR/mosquitto.pid"
LOG="$DIR/mosquitto.log"

die() { echo "error: $*" >&2; exit 2; }

BROKER=""
for candidate in /usr/sbin/mosquitto "$(command -v mosquitto 2>/dev/null || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then BROKER=$candidate; break; fi
done
[ -n "$BROKER" ] || die "mosquitto not found; install the Debian package mosquitto (make demo does this as root)."
PASSWD=$(command -v mosquitto_passwd || echo /usr/bin/mosquitto_passwd)

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

is_running() { [ -f "$PID" ] && kill -0 "$(cat "$PID")" 2>/dev/null; }

configure() {
  mkdir -p "$DIR/data"
  cat >"$CONF" <<CONF
# Written by scripts/local_mqtt.sh; rewritten on every start.
pid_file $PID
persistence true
persistence_location $DIR/data/
log_dest file $LOG
log_type error
log_type warning
log_type notice
connection_messages false
per_listener_settings false
allow_anonymous false
password_file $DIR/passwords
acl_file $DIR/acl
# The ingest worker acknowledges messages after its database commit; let it take whole
# batches in flight, and queue (not drop) bursts while it catches up or is restarted.
max_inflight_messages 2000
max_queued_messages 2000000
max_queued_bytes 0
set_tcp_nodelay true
listener $PORT 127.0.0.1
CONF
  cat >"$DIR/acl" <<ACL
user parking-worker
topic read +/+/events

user parking-device
topic write +/+/events
ACL
  rm -f "$DIR/passwords"
  touch "$DIR/passwords"
  "$PASSWD" -b "$DIR/passwords" parking-worker "$WORKER_PASSWORD"
  "$PASSWD" -b "$DIR/passwords" parking-device "$DEVICE_PASSWORD"
  chmod 600 "$DIR/passwords"
  if [ "$(id -u)" -eq 0 ]; then
    id mosquitto >/dev/null 2>&1 || die "running as root but there is no 'mosquitto' user to run the broker; install the Debian package mosquitto."
    chown -R mosquitto: "$DIR"
    local dir=$DIR
    while [ "$dir" != "/" ]; do
      dir=$(dirname "$dir")
      runuser -u mosquitto -- test -x "$dir" || chmod o+x "$dir"
    done
  fi
}

start() {
  if is_running; then
    grep -q "^listener $PORT " "$CONF" \
      || die "the local broker in $DIR runs on another port; run 'scripts/local_mqtt.sh stop' first."
    return 0
  fi
  if port_in_use "$PORT"; then
    die "port $PORT on 127.0.0.1 is taken by another program; set LOCAL_MQTT_PORT to a free port (e.g. LOCAL_MQTT_PORT=1885 make demo)."
  fi
  configure
  "$BROKER" -c "$CONF" -d
  for _ in $(seq 1 50); do
    if port_in_use "$PORT"; then return 0; fi
    sleep 0.1
  done
  tail -n 20 "$LOG" >&2 || true
  die "the local Mosquitto did not start (log: $LOG)."
}

stop() {
  if is_running; then
    local pid
    pid=$(cat "$PID")
    kill "$pid"
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || { echo "stopped"; return 0; }
      sleep 0.1
    done
    die "the local Mosquitto (pid $pid) did not stop."
  else
    echo "not running"
  fi
}

status() {
  if is_running; then echo "running on port $PORT ($DIR)"; else echo "not running"; exit 3; fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status" ;;
esac
