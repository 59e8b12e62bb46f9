module github.com/openscm/scm

go 1.26.8

require (
	connectrpc.com/connect v1.19.1
	go.etcd.io/bbolt v1.4.3
	golang.org/x/sys v0.50.0
	google.golang.org/protobuf v1.36.12
)
