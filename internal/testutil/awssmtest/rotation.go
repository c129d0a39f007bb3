package awssmtest

import (
	"fmt"
	"slices"
	"time"
)

// Rotation is one run of a rotation function over a secret, one step at a
// time, so a test can look at a client between steps. The steps change the
// server's state exactly as the function's API calls would (PutSecretValue
// with AWSPENDING, GetSecretValue of the pending version,
// UpdateSecretVersionStage), but are not counted as client requests.
type Rotation struct {
	s     *Server
	name  string
	token string
}

// StartRotation begins a rotation of name, as Secrets Manager does when it
// invokes the function with a fresh ClientRequestToken.
func (s *Server) StartRotation(name string) *Rotation {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.secrets[name]; e != nil {
		e.rotation = true
	}
	return &Rotation{s: s, name: name, token: NewVersionID()}
}

// Token is the id of the version the rotation creates.
func (r *Rotation) Token() string { return r.token }

// CreateSecret is step one: it stores value as a new version with the
// rotation's token, labelled AWSPENDING. Repeating it is harmless, as the
// function's own check makes it.
func (r *Rotation) CreateSecret(value []byte) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	e := r.s.secrets[r.name]
	if e == nil {
		return fmt.Errorf("createSecret: no secret %q", r.name)
	}
	if e.holder(Current) == nil {
		return fmt.Errorf("createSecret: %q has no AWSCURRENT version", r.name)
	}
	if v, ok := e.versions[r.token]; ok && slices.Contains(v.stages, Pending) {
		return nil
	}
	sv := string(value)
	if _, aerr := e.put(r.token, &sv, nil, []string{Pending}); aerr != nil {
		return fmt.Errorf("createSecret: %w", aerr)
	}
	return nil
}

// SetSecret is step two: set changes the credential in the service it
// protects (a database password, say) to the pending value.
func (r *Rotation) SetSecret(set func(pending []byte) error) error {
	return r.withPending("setSecret", set)
}

// TestSecret is step three: test checks that the pending value works.
func (r *Rotation) TestSecret(test func(pending []byte) error) error {
	return r.withPending("testSecret", test)
}

// withPending reads the version with the rotation's token and AWSPENDING,
// as GetSecretValue(VersionId, VersionStage) does, and passes it to f.
func (r *Rotation) withPending(step string, f func([]byte) error) error {
	r.s.mu.Lock()
	e := r.s.secrets[r.name]
	var v *version
	aerr := &apiError{"ResourceNotFoundException", "no secret " + r.name}
	if e != nil {
		v, aerr = e.pick(r.token, Pending)
	}
	r.s.mu.Unlock()
	if aerr != nil {
		return fmt.Errorf("%s: %w", step, aerr)
	}
	if f == nil {
		return nil
	}
	if v.str != nil {
		return f([]byte(*v.str))
	}
	return f(append([]byte(nil), v.bin...))
}

// FinishSecret is step four: AWSCURRENT moves to the new version (and
// AWSPREVIOUS to the one it left) with UpdateSecretVersionStage, and the
// AWSPENDING label is removed, as the service does when rotation succeeds.
func (r *Rotation) FinishSecret() error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	e := r.s.secrets[r.name]
	if e == nil {
		return fmt.Errorf("finishSecret: no secret %q", r.name)
	}
	cur := e.holder(Current)
	if cur.id == r.token {
		return nil // already finished
	}
	if aerr := e.moveStage(Current, r.token, cur.id); aerr != nil {
		return fmt.Errorf("finishSecret: %w", aerr)
	}
	if v := e.versions[r.token]; slices.Contains(v.stages, Pending) {
		e.detach(Pending, v)
	}
	e.rotated = time.Now()
	return nil
}

// Rotate runs the four steps: the new value becomes AWSCURRENT after set
// and test (either may be nil) succeeded.
func (s *Server) Rotate(name string, value []byte, set, test func(pending []byte) error) error {
	r := s.StartRotation(name)
	if err := r.CreateSecret(value); err != nil {
		return err
	}
	if err := r.SetSecret(set); err != nil {
		return err
	}
	if err := r.TestSecret(test); err != nil {
		return err
	}
	return r.FinishSecret()
}
