#!/usr/bin/env bash
# Ports nats-server's Windows service to scm by the import prefix, builds
# it, and runs it as a service under the scmd of SCM_SOCKET: sc create, net
# start, a client greeted on its port, its events in the Application log,
# net stop, sc delete. Too slow for every test run (nats-server and its
# dependencies come from the Go module proxy and take minutes to build);
# run it by hand:
#
#     export SCM_SOCKET=$PWD/.scm/scm.sock     # scmd running, as the README starts it
#     scripts/port-nats-server.sh [VERSION]
#
# The changes, and all of them: the import prefix in nats-server's two
# service files, server/service_windows.go (the service) and
# logger/syslog_windows.go (its log, the event log), which lose their build
# constraint and their _windows name; the files the other platforms build
# in their place (server/service.go, logger/syslog.go) step aside.
set -euo pipefail
version=${1:-v2.15.3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$root/scripts/port.sh"

port_module "github.com/nats-io/nats-server/v2@$version" "$work/nats" server/service.go logger/syslog.go -- server/service logger/syslog
(cd "$work/nats" && GOFLAGS=-mod=mod go build -o "$work/nats-server" .)

port=$((20000 + RANDOM % 10000))
greeted() {
  # A NATS server greets every connection with INFO; as a service it
  # logs to the Application event log.
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  head -c 4 <&3 | grep -q INFO
  exec 3<&-
  "$root/bin/wevtutil" qe Application "/q:*[System[Provider[@Name='NATS-Server']]]" /f:text | grep -q 'Server is ready'
}
run_as_service nats-port "$work/nats-server -p $port" greeted
echo "nats-server $version ran as a service under scmd, by the import prefix alone"
