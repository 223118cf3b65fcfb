#!/usr/bin/env bash
# Installs (install) or verifies (check) the Debian packages listed in deploy/packages.txt.
# Fast when nothing is missing: a single dpkg-query, no apt.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mode=${1:-check}

mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$here/packages.txt")

# dpkg-query prints nothing for packages it has never heard of, so compare against the list.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${wanted[@]}" 2>/dev/null |
    awk '$2 == "ii" {print $1}' || true)
missing=()
for p in "${wanted[@]}"; do
    grep -qxF "$p" <<<"$installed" || missing+=("$p")
done

[ ${#missing[@]} -eq 0 ] && exit 0
line="apt-get install -y ${missing[*]}"

case $mode in
check)
    echo "missing Debian packages; install them with:" >&2
    echo "$line" >&2
    exit 1
    ;;
install)
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing Debian packages; as root run:" >&2
        echo "apt-get update && $line" >&2
        exit 1
    fi
    echo "installing: ${missing[*]}" >&2
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
    ;;
*)
    echo "usage: $0 install|check" >&2
    exit 2
    ;;
esac
