package nats

import (
	"context"
	"errors"

	natsio "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hushmcp/hush/source"
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
	source.Source
	// Publish sends m and returns once the server has it: after a round
	// trip for a core publish, after the stream's acknowledgement with
	// JetStream. It honours ctx's deadline. Errors name the source and
	// never a credential; one wrapping ErrUncertain means the message may
	// have been delivered, one wrapping ErrNoStream that no stream takes
	// the subject.
	Publish(ctx context.Context, m Message) (Ack, error)
}

var _ Publisher = (*Source)(nil)

// Publish implements Publisher.
func (s *Source) Publish(ctx context.Context, m Message) (Ack, error) {
	var ack Ack
	retrySent := m.JetStream && m.MsgID != ""
	err := s.do(ctx, retrySent, func(ctx context.Context, c *client) (bool, error) {
		var err error
		var sent bool
		if m.JetStream {
			ack, sent, err = c.publishJS(ctx, m)
		} else {
			sent, err = c.publishCore(ctx, m)
		}
		return sent, err
	})
	return ack, err
}

func msg(m Message) *natsio.Msg {
	nm := natsio.NewMsg(m.Subject)
	nm.Data = m.Data
	for k, vs := range m.Header {
		for _, v := range vs {
			nm.Header.Add(k, v)
		}
	}
	return nm
}

// publishCore writes the message, then flushes: the server has handled
// it once the flush returns.
func (c *client) publishCore(ctx context.Context, m Message) (bool, error) {
	if err := c.nc.PublishMsg(msg(m)); err != nil {
		return false, err
	}
	return true, c.flush(ctx)
}

func (c *client) publishJS(ctx context.Context, m Message) (Ack, bool, error) {
	var opts []jetstream.PublishOpt
	if m.MsgID != "" {
		opts = append(opts, jetstream.WithMsgID(m.MsgID))
	}
	pa, err := c.js.PublishMsg(ctx, msg(m), opts...)
	if err != nil {
		// nats.go refuses to send a request on a connection that is down.
		return Ack{}, !errors.Is(err, natsio.ErrConnectionClosed), err
	}
	return Ack{Stream: pa.Stream, Sequence: pa.Sequence, Duplicate: pa.Duplicate}, true, nil
}
