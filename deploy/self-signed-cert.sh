#!/usr/bin/env sh
# A self-signed certificate for trying the deployment locally (browsers warn
# about it; never use it for a real site, see deploy/README.md).
#   deploy/self-signed-cert.sh DIR NAME...   e.g. deploy/self-signed-cert.sh deploy/certs localhost 127.0.0.1
# writes DIR/fullchain.pem and DIR/privkey.pem, valid for each NAME (host name or IP).
set -eu
[ $# -ge 2 ] || { echo "usage: $0 DIR NAME..." >&2; exit 2; }
dir=$1
shift
names=""
for name in "$@"; do
  case "$name" in
    *[!0-9.]* | "") kind=DNS ;;
    *) kind=IP ;;
  esac
  names="${names:+$names,}$kind:$name"
done
mkdir -p "$dir"
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 365 \
  -subj "/CN=$1" -addext "subjectAltName=$names" \
  -keyout "$dir/privkey.pem" -out "$dir/fullchain.pem" 2>/dev/null
chmod 644 "$dir/fullchain.pem"
echo "wrote $dir/fullchain.pem and $dir/privkey.pem for $names"
