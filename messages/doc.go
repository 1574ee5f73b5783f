// Package messages holds every message that crosses an actor boundary in
// gigq. Messages are pointers to plain structs, immutable after they are
// sent, and carry no channels, funcs or contexts. Each type's comment says
// who sends it, who receives it and what the reply is.
//
// Package messages is part of gigq's engine: its API is internal, for the
// root package and gigq's own commands, with no compatibility promise; use
// package gigq.
//
// Commands are imperative (SubmitJobs, ClaimJobs), events past tense
// (WorkerIdle is the exception that reads as a state), replies are
// <Command>Reply and carry Err. Payloads (params, results) are JSON bytes
// produced by the root package, so the actors stay free of user types.
//
// # Messages between machines
//
// A primary and its worker nodes (on other machines) talk through
// protoactor-go's remote transport, which serializes with protobuf: the
// messages that cross machines are defined in gigq_remote.proto, and the
// generated gigq_remote.pb.go is committed, so a build needs neither protoc nor
// protoc-gen-go. `go generate ./messages` regenerates it; it needs protoc
// (Debian: apt-get install protobuf-compiler; 3.21.12 made the committed
// file) and protoc-gen-go at the version of google.golang.org/protobuf in
// go.mod (go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12).
//
// Only plain remote is used (no cluster, no kinds). A worker node sends
// Hello to the primary's gateway actor, answers the Challenge with Join
// (an HMAC of the nonce under the shared secret), and gets Welcome with a
// session token that every later message carries. RemoteProtocol versions
// the set; the rules for changing it are at the top of gigq_remote.proto. Job
// params and results travel as the JSON bytes the store holds.
package messages
