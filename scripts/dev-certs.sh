#!/usr/bin/env bash
# Makes a development certificate authority and certificates for Tally's
# TLS transport (tls+tcp://), with openssl: for the tests, the demo and a
# first look. A real deployment uses its own CA (see docs/security.md).
#
#   scripts/dev-certs.sh [--host NAME]... [--client NAME]... DIR
#
# writes into DIR (created if needed):
#   ca.crt, ca.key            the CA (kept if DIR already has one, so that
#                             more certificates can be added later)
#   server.crt, server.key    a server certificate for the hubs, valid for
#                             every --host (default: localhost and
#                             127.0.0.1), signed by the CA
#   NAME.crt, NAME.key        one client certificate per --client, for
#                             mutual TLS (the CN is NAME)
# Private keys are mode 0600. Existing certificates are never replaced.
set -euo pipefail

usage() {
  sed -n '5,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 64
}

hosts=()
clients=()
dir=
while [ $# -gt 0 ]; do
  case "$1" in
  --host) [ $# -ge 2 ] || usage; hosts+=("$2"); shift 2 ;;
  --client) [ $# -ge 2 ] || usage; clients+=("$2"); shift 2 ;;
  -h|--help) usage ;;
  -*) echo "dev-certs.sh: unknown option $1" >&2; usage ;;
  *) [ -z "$dir" ] || usage; dir=$1; shift ;;
  esac
done
[ -n "$dir" ] || usage
if [ ${#hosts[@]} -eq 0 ]; then
  hosts=(localhost 127.0.0.1)
fi
command -v openssl >/dev/null || { echo "dev-certs.sh: openssl is needed" >&2; exit 69; }

mkdir -p "$dir"
umask 077
days=825

# An EC P-256 key: quick to make, and understood by NNG's mbed TLS.
newkey() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$1" 2>/dev/null
  chmod 600 "$1"
}

# Signs a request for subject $2 with extensions $3 into $1.crt.
sign() {
  local name=$1 subject=$2 ext=$3
  openssl req -new -key "$dir/$name.key" -subj "$subject" \
    -out "$dir/$name.csr" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" \
    -CAkey "$dir/ca.key" -CAcreateserial -days "$days" -sha256 \
    -extfile "$ext" -out "$dir/$name.crt" 2>/dev/null
  rm -f "$dir/$name.csr"
  chmod 644 "$dir/$name.crt"
}

refuse_existing() {
  if [ -e "$dir/$1.crt" ] || [ -e "$dir/$1.key" ]; then
    echo "dev-certs.sh: $dir/$1.crt or .key exists; not replacing it" >&2
    exit 73
  fi
}

if [ ! -e "$dir/ca.crt" ]; then
  newkey "$dir/ca.key"
  openssl req -x509 -new -key "$dir/ca.key" -sha256 -days "$days" \
    -subj "/O=Tally development/CN=Tally development CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.crt" 2>/dev/null
  chmod 644 "$dir/ca.crt"
  echo "made the CA: $dir/ca.crt"
fi

ext=$(mktemp)
trap 'rm -f "$ext"' EXIT

if [ ! -e "$dir/server.crt" ]; then
  refuse_existing server
  san=
  for h in "${hosts[@]}"; do
    if [[ $h =~ ^[0-9.]+$ || $h == *:* ]]; then
      san+="${san:+,}IP:$h"
    else
      san+="${san:+,}DNS:$h"
    fi
  done
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=serverAuth"
    echo "subjectAltName=$san"
  } >"$ext"
  newkey "$dir/server.key"
  sign server "/O=Tally development/CN=${hosts[0]}" "$ext"
  echo "made the server certificate for ${hosts[*]}: $dir/server.crt"
fi

for c in ${clients[@]+"${clients[@]}"}; do
  if ! [[ $c =~ ^[A-Za-z0-9_.-]+$ ]]; then
    echo "dev-certs.sh: --client $c: use letters, digits, . _ -" >&2
    exit 64
  fi
  refuse_existing "$c"
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature"
    echo "extendedKeyUsage=clientAuth"
  } >"$ext"
  newkey "$dir/$c.key"
  sign "$c" "/O=Tally development/CN=$c" "$ext"
  echo "made the client certificate $c: $dir/$c.crt"
done
