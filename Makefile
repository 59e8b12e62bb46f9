# Regenerate the API code after editing proto/ (needs protoc, protoc-gen-go
# and protoc-gen-connect-go on PATH).
proto:
	protoc -I proto --go_out=. --go_opt=module=github.com/openscm/scm \
		--connect-go_out=. --connect-go_opt=module=github.com/openscm/scm \
		proto/scm/v1/scm.proto

.PHONY: proto
