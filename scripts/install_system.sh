#!/usr/bin/env bash
# Install the Debian packages the platform needs, only those that are missing.
set -euo pipefail

packages=(
  postgresql-15 postgresql-15-postgis-3 postgresql-contrib
  gdal-bin libgdal-dev libgeos-c1v5 libproj25 libspatialindex-dev
  gettext chromium mosquitto
  fontconfig fonts-wqy-zenhei
  python3-venv nodejs npm
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# node/npm may come from elsewhere than Debian (nodesource, nvm): accept them when on PATH.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "Installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "error: these Debian packages are missing and you are not root: ${missing[*]}" >&2
    echo "       install them (apt-get install ${missing[*]}) and run again." >&2
    exit 2
  fi
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
