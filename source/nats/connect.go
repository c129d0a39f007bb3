package nats

import (
	"context"
	"net/url"
	"strings"
	"sync"

	natsio "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source/cred"
)

// credentials is one expansion of the spec's templates.
type credentials struct {
	url, user, password, token, seed, creds string
}

// login maps expanded values back to the fields their templates fill.
func login(fields, values []string) credentials {
	var c credentials
	dst := map[string]*string{"url": &c.url, "user": &c.user, "password": &c.password,
		"token": &c.token, "nkey_seed": &c.seed, "credentials": &c.creds}
	for i, f := range fields {
		*dst[f] = values[i]
	}
	return c
}

// client is one generation of credentials: a connection, its JetStream
// context, and what its calls need to know about its link.
type client struct {
	nc     *natsio.Conn
	js     jetstream.JetStream
	scrub  *cred.Scrubber
	closed chan struct{} // closed by the ClosedHandler
	once   sync.Once

	mu   sync.Mutex
	link *link // the current stretch of being connected
}

// link is one stretch of being connected: its context ends when the
// connection goes down; up is closed when it is back (a new link starts).
type link struct {
	ctx  context.Context
	down context.CancelFunc
	up   chan struct{}
}

func newLink() *link {
	ctx, cancel := context.WithCancel(context.Background())
	return &link{ctx: ctx, down: cancel, up: make(chan struct{})}
}

func (c *client) current() *link {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.link
}

// disconnected ends the current link; calls waiting on it stop waiting.
func (c *client) disconnected() {
	c.current().down()
}

// reconnected starts a new link and wakes the calls waiting for it.
func (c *client) reconnected() {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.link
	old.down()
	c.link = newLink()
	close(old.up)
}

// back is closed once the connection is up again after the link a call
// saw ended.
func (c *client) back() <-chan struct{} { return c.current().up }

// connect builds a connection from creds and verifies it: the handshake
// checks the credentials, a flush proves the link. On error nothing is
// left open.
func (s *Source) connect(ctx context.Context, creds credentials, scrub *cred.Scrubber) (*client, error) {
	servers, info, err := s.servers(creds.url)
	if err != nil {
		return nil, err
	}
	c := &client{scrub: scrub, closed: make(chan struct{}), link: newLink()}
	opts, err := s.options(c, creds, info)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	nc, err := natsio.Connect(servers, opts...)
	if err != nil {
		return nil, s.connError(ctx, err)
	}
	c.nc = nc
	if err := c.flush(ctx); err != nil {
		nc.Close()
		return nil, s.connError(ctx, err)
	}
	if c.js, err = jetstream.New(nc); err != nil {
		nc.Close()
		return nil, s.connError(ctx, err)
	}
	return c, nil
}

// servers strips userinfo from the URL list, so that nats.go never holds
// a password in a URL it may print; the userinfo becomes a login option.
// A list may carry one userinfo, which applies to every server.
func (s *Source) servers(list string) (string, *url.Userinfo, error) {
	var out []string
	var info *url.Userinfo
	for raw := range strings.SplitSeq(list, ",") {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || u.Host == "" {
			return "", nil, s.invalid("the url does not parse")
		}
		if u.Scheme != "nats" && u.Scheme != "tls" {
			return "", nil, s.invalid("the url scheme must be nats or tls")
		}
		if u.User != nil {
			if info != nil && info.String() != u.User.String() {
				return "", nil, s.invalid("the servers of the url carry different userinfo")
			}
			info, u.User = u.User, nil
		}
		out = append(out, u.String())
	}
	return strings.Join(out, ","), info, nil
}

// options are the connection's settings; see the package doc for why the
// reconnect buffer is off.
func (s *Source) options(c *client, creds credentials, info *url.Userinfo) ([]natsio.Option, error) {
	auth, err := s.auth(creds, info)
	if err != nil {
		return nil, err
	}
	opts := append(auth,
		natsio.Name("hush:"+s.spec.Name),
		natsio.Timeout(connectTimeout),
		natsio.ReconnectBufSize(-1),
		natsio.MaxReconnects(-1), // a server restart must not end the source
		natsio.DrainTimeout(drainTimeout),
		natsio.DisconnectErrHandler(func(*natsio.Conn, error) { c.disconnected() }),
		natsio.ReconnectHandler(func(*natsio.Conn) { c.reconnected() }),
		natsio.ClosedHandler(func(*natsio.Conn) { c.disconnected(); c.once.Do(func() { close(c.closed) }) }),
		natsio.ErrorHandler(func(_ *natsio.Conn, _ *natsio.Subscription, err error) { s.asyncError(c, err) }),
	)
	if s.spec.CAFile != "" {
		opts = append(opts, natsio.RootCAs(s.spec.CAFile))
	}
	return opts, nil
}

// auth turns the credentials into the one login option they describe.
func (s *Source) auth(c credentials, info *url.Userinfo) ([]natsio.Option, error) {
	pw, hasPW := "", false
	if info != nil {
		pw, hasPW = info.Password()
	}
	switch {
	case info != nil && hasPW:
		return []natsio.Option{natsio.UserInfo(info.Username(), pw)}, nil
	case info != nil:
		// nats://TOKEN@host: a token in the userinfo's user part.
		return []natsio.Option{natsio.Token(info.Username())}, nil
	case c.password != "":
		return []natsio.Option{natsio.UserInfo(c.user, c.password)}, nil
	case c.token != "":
		return []natsio.Option{natsio.Token(c.token)}, nil
	case c.seed != "":
		return s.nkey(c.seed)
	case c.creds != "":
		return s.userJWT(c.creds)
	}
	return nil, nil
}

// nkey signs the server's nonce with the seed's key pair.
func (s *Source) nkey(seed string) ([]natsio.Option, error) {
	kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(seed)))
	if err != nil {
		return nil, s.invalid("nkey_seed is not an NKey seed")
	}
	pub, err := kp.PublicKey()
	if err != nil || !nkeys.IsValidPublicUserKey(pub) {
		return nil, s.invalid("nkey_seed is not the seed of a user NKey (SU...)")
	}
	return []natsio.Option{natsio.Nkey(pub, kp.Sign)}, nil
}

// userJWT reads a creds file's content: a user JWT and its seed.
func (s *Source) userJWT(content string) ([]natsio.Option, error) {
	jwt, err := nkeys.ParseDecoratedJWT([]byte(content))
	if err != nil || jwt == "" {
		return nil, s.invalid("credentials holds no user JWT")
	}
	kp, err := nkeys.ParseDecoratedUserNKey([]byte(content))
	if err != nil {
		return nil, s.invalid("credentials holds no user seed")
	}
	return []natsio.Option{natsio.UserJWT(func() (string, error) { return jwt, nil }, kp.Sign)}, nil
}

// asyncError logs what the server reports outside a call, such as a
// publish the user's permissions refused, with the credentials scrubbed.
func (s *Source) asyncError(c *client, err error) {
	msg, _ := c.scrub.Scrub(err.Error())
	_, code := describe(err)
	s.log.Warn("nats asynchronous error", "source", s.spec.Name, "error_class", driver.Class(code), "error", msg)
}

// closeClient drains a connection no call uses any more and waits for it
// to close: its last messages are flushed, and only then are the secret
// versions it was built from let go.
func (s *Source) closeClient(c *client) {
	if err := c.nc.Drain(); err != nil {
		c.nc.Close() // already closed, or down: nothing to drain
	}
	<-c.closed // nats.go closes a drain that outlives DrainTimeout
}

func (s *Source) invalid(desc string) error {
	return &Error{Source: s.spec.Name, Desc: desc, code: driver.ErrInvalid}
}
