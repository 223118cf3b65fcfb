#!/usr/bin/env bash
# Creates the gateway's self-signed certificate ($YANXIU_VAR_DIR/tls/{key,cert}.pem) unless present.
# ECDSA P-256, CN=localhost, valid 825 days (the longest most TLS clients accept).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
var=${YANXIU_VAR_DIR:-var}
case $var in /*) ;; *) var=$root/$var ;; esac
dir=$var/tls

if [ -s "$dir/key.pem" ] && [ -s "$dir/cert.pem" ]; then exit 0; fi

mkdir -p "$dir"
umask 077
# write beside the final names first so a failed run never leaves half a pair
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 825 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/key.pem.tmp" -out "$dir/cert.pem.tmp" 2>/dev/null
chmod 644 "$dir/cert.pem.tmp"
mv "$dir/key.pem.tmp" "$dir/key.pem"
mv "$dir/cert.pem.tmp" "$dir/cert.pem"
echo "created $dir/cert.pem (self-signed, CN=localhost)"
