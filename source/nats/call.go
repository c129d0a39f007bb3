package nats

import (
	"context"
	"errors"

	natsio "github.com/nats-io/nats.go"
)

// errLinkDown marks a call whose connection was down when it started or
// went down while it waited.
var errLinkDown = errors.New("connection lost")

// run calls fn on c while its link is up: fn's context ends when the link
// goes down, so a call never waits on a dead connection for its deadline.
// fn reports whether it may have sent something.
func (c *client) run(ctx context.Context, fn func(context.Context, *client) (bool, error)) (bool, error) {
	l := c.current()
	if !c.up() {
		return false, errLinkDown
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(l.ctx, cancel)
	defer stop()
	sent, err := fn(ctx, c)
	// nats.go reports a lost connection to its handlers asynchronously, so
	// the status and the error say it first.
	if err != nil && (l.ctx.Err() != nil || notConnected(err) || c.nc.Status() != natsio.CONNECTED) {
		return sent, errors.Join(errLinkDown, err)
	}
	return sent, err
}

// notConnected reports errors nats.go gives a publish it did not send
// because the connection was not up.
func notConnected(err error) bool {
	return errors.Is(err, natsio.ErrConnectionClosed) || errors.Is(err, natsio.ErrReconnectBufExceeded) ||
		errors.Is(err, natsio.ErrConnectionDraining) || errors.Is(err, natsio.ErrConnectionReconnecting)
}

// up reports whether c is connected now.
func (c *client) up() bool {
	return c.current().ctx.Err() == nil && c.nc.Status() == natsio.CONNECTED
}

// lost reports whether err is a call's connection going down.
func (c *client) lost(err error) bool { return errors.Is(err, errLinkDown) }

// flush makes a round trip: every message sent before it has been
// handled by the server when it returns.
func (c *client) flush(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, connectTimeout)
		defer cancel()
	}
	return c.nc.FlushWithContext(ctx)
}
