package nats

import (
	"context"
	"errors"

	natsio "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hushmcp/hush/source"
)

// Message, Ack and Publisher are the publish capability this kind
// provides (source.Publisher).
type (
	Message   = source.Message
	Ack       = source.Ack
	Publisher = source.Publisher
)

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
