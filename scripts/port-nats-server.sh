#!/usr/bin/env bash
# Ports nats-server's Windows service to scm by the import prefix, builds
# it, and runs it as a service under the scmd of SCM_SOCKET: sc create, net
# start, a client connecting to its port, net stop, sc delete. Too slow for
# every test run (nats-server and its dependencies come from the Go module
# proxy and take minutes to build); run it by hand:
#
#     export SCM_SOCKET=$PWD/.scm/scm.sock     # scmd running, as the README starts it
#     scripts/port-nats-server.sh [VERSION]
#
# The changes, and all of them: the import prefix golang.org/x/sys becomes
# github.com/openscm/scm in nats-server's two service files,
# server/service_windows.go (the service) and logger/syslog_windows.go (its
# log, the event log), which lose their build constraint and their
# _windows name; the files the other platforms build in their place
# (server/service.go, logger/syslog.go) step aside.
set -euo pipefail
version=${1:-v2.15.3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

src=$(cd "$work" && go mod download -json "github.com/nats-io/nats-server/v2@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
cp -r "$src" "$work/nats" && chmod -R u+w "$work/nats"
cd "$work/nats"
for f in server/service logger/syslog; do
  rm "$f.go"
  sed -e 's#"golang.org/x/sys/windows#"github.com/openscm/scm/windows#' -e '/^\/\/go:build windows$/d' \
      "${f}_windows.go" > "${f}_scm.go"
  rm "${f}_windows.go"
done
go mod edit -require=github.com/openscm/scm@v0.0.0 -replace=github.com/openscm/scm="$root"
GOFLAGS=-mod=mod go build -o "$work/nats-server" .

sc=$root/bin/sc net=$root/bin/net
port=$((20000 + RANDOM % 10000))
"$sc" create nats-port binPath= "$work/nats-server -p $port" start= demand
trap '"$net" stop nats-port >/dev/null 2>&1 || true; "$sc" delete nats-port >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"$net" start nats-port
"$sc" query nats-port | grep -q RUNNING
# A NATS server greets every connection with INFO; as a service it logs
# to the Application event log.
exec 3<>"/dev/tcp/127.0.0.1/$port"
head -c 4 <&3 | grep -q INFO
exec 3<&-
"$root/bin/wevtutil" qe Application "/q:*[System[Provider[@Name='NATS-Server']]]" /f:text | grep -q 'Server is ready'
"$net" stop nats-port
"$sc" delete nats-port
echo "nats-server $version ran as a service under scmd, by the import prefix alone"
