package source

import (
	"context"
	"errors"
)

// Errors a Publisher may wrap besides a driver error class.
var (
	// ErrUncertain: the connection went down after the message was sent
	// and before the server confirmed it; it may have been delivered.
	ErrUncertain = errors.New("the connection went down before the server confirmed the message; it may or may not have been delivered")
	// ErrNoStream: a JetStream publish found no stream for its subject.
	ErrNoStream = errors.New("no JetStream stream takes the subject")
	// ErrTooLarge: the message is over the server's max_payload.
	ErrTooLarge = errors.New("the message is larger than the server accepts")
)

// Message is one message to publish. The subject is used as it is: the
// caller checks it (tool/publish allows only subjects from a list).
type Message struct {
	Subject string
	Data    []byte
	Header  map[string][]string
	// JetStream publishes to the stream that takes Subject and waits for
	// its acknowledgement.
	JetStream bool
	// MsgID, with JetStream, lets the stream discard a copy it already
	// holds (Nats-Msg-Id): a retry after a lost connection is then safe.
	MsgID string
}

// Ack is a publish's outcome: for JetStream the stream and sequence that
// stored the message, and whether it was a copy the stream discarded.
type Ack struct {
	Stream    string
	Sequence  uint64
	Duplicate bool
}

// Publisher is a source that publishes messages; the publish tool kind
// finds it by type assertion.
type Publisher interface {
	Source
	// Publish sends m and returns once the server has it: after a round
	// trip for a core publish, after the stream's acknowledgement with
	// JetStream. It honours ctx's deadline. Errors name the source and
	// never a credential; one wrapping ErrUncertain means the message may
	// have been delivered, one wrapping ErrNoStream that no stream takes
	// the subject.
	Publish(ctx context.Context, m Message) (Ack, error)
}
