package actor

// gigq: actor.pb.go is generated from actor.proto, whose proto package is
// renamed (PATCHES.md). Regenerate it from the repository root with
// `go generate ./internal/protoactor/...` (protoc, protoc-gen-go: see PATCHES.md).
//go:generate protoc -I ../../.. --go_out=../../.. --go_opt=module=github.com/gigq-go/gigq internal/protoactor/actor/actor.proto
//go:generate go run pidcache.go
