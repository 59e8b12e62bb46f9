# Sourced by the port-*.sh scripts: a Go module from the module proxy,
# ported to scm by the import prefix.
#
# port_module MODULE@VERSION DIR GONE... -- WINDOWS...
#   copies the module into DIR; the files GONE (the other platforms' build
#   of a Windows file) step aside, and each file NAME_windows.go of WINDOWS
#   becomes NAME_scm.go with the import prefix golang.org/x/sys made
#   github.com/openscm/scm and its build constraint dropped; the module then
#   requires this repository, by a replace directive.
port_module() {
  local mod=$1 dir=$2 src
  shift 2
  src=$(cd "$(mktemp -d)" && go mod download -json "$mod" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  cp -r "$src" "$dir" && chmod -R u+w "$dir"
  while [ "$1" != -- ]; do rm "$dir/$1"; shift; done
  shift
  for f in "$@"; do
    sed -e 's#"golang.org/x/sys/windows#"github.com/openscm/scm/windows#' -e '/^\/\/go:build windows$/d' \
        "$dir/${f}_windows.go" > "$dir/${f}_scm.go"
    rm "$dir/${f}_windows.go"
  done
  (cd "$dir" && go mod edit -require=github.com/openscm/scm@v0.0.0 -replace=github.com/openscm/scm="$root")
}

# run_as_service NAME BINPATH CHECK...
#   creates the service NAME, starts it with net start, runs CHECK (a
#   command) while it runs, stops it with net stop and deletes it.
run_as_service() {
  local name=$1 binpath=$2
  shift 2
  "$root/bin/sc" create "$name" binPath= "$binpath" start= demand
  trap '"$root/bin/net" stop "'"$name"'" >/dev/null 2>&1 || true; "$root/bin/sc" delete "'"$name"'" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
  "$root/bin/net" start "$name"
  "$root/bin/sc" query "$name" | grep -q RUNNING
  "$@"
  "$root/bin/net" stop "$name"
  "$root/bin/sc" delete "$name"
}
