#!/usr/bin/env bash
# Installs the Debian (bookworm) packages Tally needs to build, test and run,
# but only those that are missing, so it is cheap to call before every build.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang-format python3 bc
  libnng-dev nng-utils
  libprotobuf-c-dev protobuf-c-compiler
  python3-protobuf protobuf-compiler python3-cryptography
  libsqlite3-dev sqlite3
  check libsubunit-dev
  libsodium-dev libinih-dev libjansson-dev libcsv-dev libmicrohttpd-dev
  libsystemd-dev
  curl chromium fonts-wqy-microhei
  libxlsxwriter-dev python3-openpyxl
  libcairo2-dev libpango1.0-dev fonts-noto-cjk poppler-utils
  openssl clang libclang-rt-dev
  postgresql libpq-dev time e2fsprogs
  libzip-dev libxml2-dev zlib1g-dev
  scdoc lintian systemd dpkg-dev fakeroot adduser init-system-helpers
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing: ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
