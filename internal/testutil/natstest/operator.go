package natstest

import (
	"errors"
	"fmt"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// Operator runs a server in operator mode (decentralised JWT auth): an
// operator, one account and a memory resolver. Users log in with the
// content of a .creds file (a user JWT and its seed) that Creds issues.
type Operator struct {
	*Server
	account nkeys.KeyPair
}

// StartOperator starts a server in operator mode, without JetStream.
func StartOperator() (*Operator, error) {
	op, err := nkeys.CreateOperator()
	if err != nil {
		return nil, fmt.Errorf("natstest: %w", err)
	}
	acct, err := nkeys.CreateAccount()
	if err != nil {
		return nil, fmt.Errorf("natstest: %w", err)
	}
	opPub, _ := op.PublicKey()
	opClaims := jwt.NewOperatorClaims(opPub)
	acctPub, _ := acct.PublicKey()
	acctJWT, err := jwt.NewAccountClaims(acctPub).Encode(op)
	if err != nil {
		return nil, fmt.Errorf("natstest: encode account: %w", err)
	}
	resolver := &server.MemAccResolver{}
	if err := resolver.Store(acctPub, acctJWT); err != nil {
		return nil, fmt.Errorf("natstest: %w", err)
	}
	s := &Server{}
	o := &server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true, NoSystemAccount: true,
		TrustedOperators: []*jwt.OperatorClaims{opClaims}, AccountResolver: resolver}
	srv, err := server.NewServer(o)
	if err != nil {
		return nil, fmt.Errorf("natstest: new server: %w", err)
	}
	s.srv = srv
	srv.Start()
	if !srv.ReadyForConnections(startTimeout) {
		s.Stop()
		return nil, errors.New("natstest: the server did not accept connections in time")
	}
	return &Operator{Server: s, account: acct}, nil
}

// Creds issues a new user of the account and returns its .creds file
// content and its public key.
func (o *Operator) Creds(name string) (creds []byte, user string, err error) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, "", fmt.Errorf("natstest: %w", err)
	}
	user, _ = kp.PublicKey()
	claims := jwt.NewUserClaims(user)
	claims.Name = name
	token, err := claims.Encode(o.account)
	if err != nil {
		return nil, "", fmt.Errorf("natstest: encode user: %w", err)
	}
	seed, _ := kp.Seed()
	creds, err = jwt.FormatUserConfig(token, seed)
	if err != nil {
		return nil, "", fmt.Errorf("natstest: %w", err)
	}
	return creds, user, nil
}
