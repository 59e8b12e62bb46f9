#!/usr/bin/env bash
# Ports Caddy's Windows service to scm by the import prefix, builds it,
# and runs it as a service under the scmd of SCM_SOCKET: sc create, net
# start, a page served, net stop, sc delete. Too slow for every test run
# (Caddy and its dependencies come from the Go module proxy and take
# minutes to build); run it by hand:
#
#     export SCM_SOCKET=$PWD/.scm/scm.sock     # scmd running, as the README starts it
#     scripts/port-caddy.sh [VERSION]
#
# The changes, and all of them: the import prefix in Caddy's two service
# files, service_windows.go (the service) and notify/notify_windows.go (its
# status reports to the SCM), which lose their build constraint and their
# _windows name; the file Linux builds in the latter's place,
# notify/notify_linux.go (systemd's sd_notify), steps aside.
set -euo pipefail
version=${1:-v2.11.9}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$root/scripts/port.sh"

port_module "github.com/caddyserver/caddy/v2@$version" "$work/caddy" notify/notify_linux.go -- service notify/notify
(cd "$work/caddy" && GOFLAGS=-mod=mod go build -o "$work/caddy-bin" ./cmd/caddy)

mkdir "$work/site" && echo "served by caddy under scm" > "$work/site/index.html"
chmod -R a+rX "$work"
port=$((20000 + RANDOM % 10000))
served() {
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
  grep -q "served by caddy under scm" <&3
  exec 3<&-
}
run_as_service caddy-port "$work/caddy-bin file-server --listen 127.0.0.1:$port --root $work/site" served
echo "caddy $version ran as a service under scmd, by the import prefix alone"
