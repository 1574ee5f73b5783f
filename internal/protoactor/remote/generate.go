package remote

// gigq: remote.pb.go and remote_grpc.pb.go are generated from remote.proto,
// whose proto package is renamed (PATCHES.md). Regenerate them from the
// repository root with `go generate ./internal/protoactor/...` (protoc,
// protoc-gen-go, protoc-gen-go-grpc: see PATCHES.md).
//go:generate protoc -I ../../.. --go_out=../../.. --go_opt=module=github.com/gigq-go/gigq --go-grpc_out=../../.. --go-grpc_opt=module=github.com/gigq-go/gigq internal/protoactor/remote/remote.proto
