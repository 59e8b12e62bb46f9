# Regenerate the API code after editing proto/: the protobuf and Connect
# code, the clients' plain messages (internal/api/scmmsg), and the unary
# client's methods, and the Python package's winerror texts. protoc comes from the system
# (Debian: protobuf-compiler); the Go plugins are the versions go.mod pins
# as tools.
PLUGINS := --plugin=protoc-gen-go=bin/protoc-gen-go --plugin=protoc-gen-connect-go=bin/protoc-gen-connect-go

proto:
	go build -o bin/ google.golang.org/protobuf/cmd/protoc-gen-go connectrpc.com/connect/cmd/protoc-gen-connect-go
	protoc -I proto $(PLUGINS) --go_out=. --go_opt=module=github.com/openscm/scm \
		--connect-go_out=. --connect-go_opt=module=github.com/openscm/scm \
		proto/scm/v1/scm.proto
	go run ./internal/api/scmmsg/gen internal/api/scmmsg/messages.go
	go run ./internal/client/gencalls internal/client/calls.go
	go run ./internal/winerror/genpy > python/winerror.py

# verify fails when the tree is not as its tools would leave it: unformatted
# Go, a go.mod or go.sum that `go mod tidy` would change, or generated code
# that differs from what proto/ generates (but for the line naming the
# system protoc's version).
verify: proto
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: the files above are not formatted'; exit 1; }
	go mod tidy
	git diff --exit-code -I '^//[[:space:]]+protoc[[:space:]]+v' -- go.mod go.sum internal/api internal/client/calls.go python/winerror.py

.PHONY: proto verify
