// Package messages holds every message that crosses an actor boundary in
// gigq. Messages are pointers to plain structs, immutable after they are
// sent, and carry no channels, funcs or contexts. Each type's comment says
// who sends it, who receives it and what the reply is.
//
// Commands are imperative (SubmitJobs, ClaimJobs), events past tense
// (WorkerIdle is the exception that reads as a state), replies are
// <Command>Reply and carry Err. Payloads (params, results) are JSON bytes
// produced by the root package, so the actors stay free of user types.
package messages
