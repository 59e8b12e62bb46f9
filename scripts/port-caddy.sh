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
# The changes, and all of them: the import prefix golang.org/x/sys becomes
# github.com/openscm/scm in Caddy's two service files, service_windows.go
# (the service) and notify/notify_windows.go (its status reports to the
# SCM), which lose their build constraint and their _windows name; the file
# Linux builds in the latter's place, notify/notify_linux.go (systemd's
# sd_notify), steps aside.
set -euo pipefail
version=${1:-v2.11.9}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

src=$(cd "$work" && go mod download -json "github.com/caddyserver/caddy/v2@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
cp -r "$src" "$work/caddy" && chmod -R u+w "$work/caddy"
cd "$work/caddy"
rm notify/notify_linux.go
for f in service notify/notify; do
  sed -e 's#"golang.org/x/sys/windows#"github.com/openscm/scm/windows#' -e '/^\/\/go:build windows$/d' \
      "${f}_windows.go" > "${f}_scm.go"
  rm "${f}_windows.go"
done
go mod edit -require=github.com/openscm/scm@v0.0.0 -replace=github.com/openscm/scm="$root"
GOFLAGS=-mod=mod go build -o "$work/caddy-bin" ./cmd/caddy

mkdir "$work/site" && echo "served by caddy under scm" > "$work/site/index.html"
chmod -R a+rX "$work"
sc=$root/bin/sc net=$root/bin/net
port=$((20000 + RANDOM % 10000))
"$sc" create caddy-port binPath= "$work/caddy-bin file-server --listen 127.0.0.1:$port --root $work/site" start= demand
trap '"$net" stop caddy-port >/dev/null 2>&1 || true; "$sc" delete caddy-port >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"$net" start caddy-port
"$sc" query caddy-port | grep -q RUNNING
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
grep -q "served by caddy under scm" <&3
exec 3<&-
"$net" stop caddy-port
"$sc" delete caddy-port
echo "caddy $version ran as a service under scmd, by the import prefix alone"
