package awssmtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"
)

// Staging labels Secrets Manager moves itself.
const (
	Current  = "AWSCURRENT"
	Previous = "AWSPREVIOUS"
	Pending  = "AWSPENDING"
)

// MaxSize is Secrets Manager's limit on a value, in bytes. PutSecretValue
// enforces it; the Go helpers do not, so a client's own check can be tested.
const MaxSize = 65536

type secretEntry struct {
	name, arn   string
	created     time.Time
	changed     time.Time
	rotated     time.Time // zero: never rotated
	deleted     time.Time // zero: not scheduled for deletion
	rotation    bool
	versions    map[string]*version
	order       []string // version ids, oldest first
	decryptFail bool
}

type version struct {
	id      string
	str     *string
	bin     []byte
	stages  []string
	created time.Time
}

// resolve finds a secret by name, full ARN or partial ARN (without the
// random suffix). Called with s.mu held.
func (s *Server) resolve(id string) *secretEntry {
	if e, ok := s.secrets[id]; ok {
		return e
	}
	for _, e := range s.secrets {
		if id == e.arn || id == e.arn[:len(e.arn)-7] {
			return e
		}
	}
	return nil
}

// nameOf returns the name of the secret id refers to, or id itself.
// Called with s.mu held.
func (s *Server) nameOf(id string) string {
	if e := s.resolve(id); e != nil {
		return e.name
	}
	return id
}

// secret returns the secret a request names, or the error to answer with.
// Called with s.mu held.
func (s *Server) secret(in map[string]any) (*secretEntry, *apiError) {
	id := str(in, "SecretId")
	if id == "" {
		return nil, &apiError{"InvalidParameterException", "SecretId is required"}
	}
	e := s.resolve(id)
	if e == nil {
		return nil, &apiError{"ResourceNotFoundException", "Secrets Manager can't find the specified secret."}
	}
	return e, nil
}

// create adds a secret with no versions. Called with s.mu held.
func (s *Server) create(name string) *secretEntry {
	now := time.Now()
	e := &secretEntry{
		name: name, created: now, changed: now, versions: map[string]*version{},
		arn: fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", s.region, Account, name, suffix()),
	}
	s.secrets[name] = e
	return e
}

// suffix is the six random characters Secrets Manager appends to an ARN.
func suffix() string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}

// NewVersionID returns a fresh version id shaped like the SDK's tokens.
func NewVersionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

// holder returns the version carrying stage, or nil.
func (e *secretEntry) holder(stage string) *version {
	for _, id := range e.order {
		if slices.Contains(e.versions[id].stages, stage) {
			return e.versions[id]
		}
	}
	return nil
}

// attach puts stage on v, taking it from wherever it was. Moving
// AWSCURRENT puts AWSPREVIOUS on the version it left, as the service does.
func (e *secretEntry) attach(stage string, v *version) {
	old := e.holder(stage)
	if old == v {
		return
	}
	if old != nil {
		old.stages = slices.DeleteFunc(old.stages, func(s string) bool { return s == stage })
	}
	v.stages = append(v.stages, stage)
	if stage == Current && old != nil {
		e.attach(Previous, old)
	}
	e.changed = time.Now()
}

// detach removes stage from v.
func (e *secretEntry) detach(stage string, v *version) {
	v.stages = slices.DeleteFunc(v.stages, func(s string) bool { return s == stage })
	e.changed = time.Now()
}

// addVersion stores a new version with the given stages. Called with s.mu
// held.
func (e *secretEntry) addVersion(id string, str *string, bin []byte, stages []string) *version {
	v := &version{id: id, str: str, bin: bin, created: time.Now()}
	e.versions[id] = v
	e.order = append(e.order, id)
	for _, st := range stages {
		e.attach(st, v)
	}
	return v
}

func (e *secretEntry) stagesMap() map[string][]string {
	m := map[string][]string{}
	for id, v := range e.versions {
		if len(v.stages) > 0 {
			m[id] = append([]string(nil), v.stages...)
		}
	}
	return m
}

func (s *Server) getSecretValue(in map[string]any) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, aerr := s.secret(in)
	if aerr != nil {
		return http.StatusBadRequest, aerr
	}
	if !e.deleted.IsZero() {
		return http.StatusBadRequest, &apiError{"InvalidRequestException",
			"You can't perform this operation on the secret because it was marked for deletion."}
	}
	v, aerr := e.pick(str(in, "VersionId"), str(in, "VersionStage"))
	if aerr != nil {
		return http.StatusBadRequest, aerr
	}
	if e.decryptFail {
		return http.StatusBadRequest, &apiError{Decryption, "Secrets Manager can't decrypt the protected secret text using the provided KMS key."}
	}
	out := map[string]any{"ARN": e.arn, "Name": e.name, "VersionId": v.id,
		"VersionStages": v.stages, "CreatedDate": epoch(v.created)}
	if v.str != nil {
		out["SecretString"] = *v.str
	} else {
		out["SecretBinary"] = v.bin // encoding/json writes base64, as the protocol does
	}
	return http.StatusOK, out
}

// pick finds the version a GetSecretValue asks for: by id, by stage, or
// both (the id must then carry the stage). The default is AWSCURRENT.
func (e *secretEntry) pick(id, stage string) (*version, *apiError) {
	notFound := &apiError{"ResourceNotFoundException",
		"Secrets Manager can't find the specified secret value for staging label: " + stage}
	if id == "" {
		if stage == "" {
			stage = Current
			notFound.Message += stage
		}
		if v := e.holder(stage); v != nil {
			return v, nil
		}
		return nil, notFound
	}
	v, ok := e.versions[id]
	if !ok || stage != "" && !slices.Contains(v.stages, stage) {
		notFound.Message = "Secrets Manager can't find the specified secret value for VersionId: " + id
		return nil, notFound
	}
	return v, nil
}

func (s *Server) describeSecret(in map[string]any) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, aerr := s.secret(in)
	if aerr != nil {
		return http.StatusBadRequest, aerr
	}
	out := map[string]any{"ARN": e.arn, "Name": e.name, "VersionIdsToStages": e.stagesMap(),
		"RotationEnabled": e.rotation, "CreatedDate": epoch(e.created), "LastChangedDate": epoch(e.changed)}
	if !e.rotated.IsZero() {
		out["LastRotatedDate"] = epoch(e.rotated)
	}
	if !e.deleted.IsZero() {
		out["DeletedDate"] = epoch(e.deleted)
	}
	return http.StatusOK, out
}

func (s *Server) putSecretValue(in map[string]any) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, aerr := s.secret(in)
	if aerr != nil {
		return http.StatusBadRequest, aerr
	}
	sv, bin, aerr := valueOf(in)
	if aerr != nil {
		return http.StatusBadRequest, aerr
	}
	stages, aerr := stagesOf(in)
	if aerr != nil {
		return http.StatusBadRequest, aerr
	}
	v, aerr := e.put(str(in, "ClientRequestToken"), sv, bin, stages)
	if aerr != nil {
		return http.StatusBadRequest, aerr
	}
	return http.StatusOK, map[string]any{"ARN": e.arn, "Name": e.name, "VersionId": v.id, "VersionStages": v.stages}
}

// put adds a version, or answers a repeated request idempotently: the same
// token with the same value is the same version; with another value it is
// an error.
func (e *secretEntry) put(token string, sv *string, bin []byte, stages []string) (*version, *apiError) {
	if token == "" {
		token = NewVersionID()
	}
	if len(token) < 32 || len(token) > 64 {
		return nil, &apiError{"InvalidParameterException", "ClientRequestToken must be 32 to 64 characters"}
	}
	if !e.deleted.IsZero() {
		return nil, &apiError{"InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion."}
	}
	if v, ok := e.versions[token]; ok {
		if !sameValue(v, sv, bin) {
			return nil, &apiError{"ResourceExistsException", "A resource with the ID you requested already exists."}
		}
		return v, nil
	}
	return e.addVersion(token, sv, bin, stages), nil
}

func sameValue(v *version, sv *string, bin []byte) bool {
	if sv != nil {
		return v.str != nil && *v.str == *sv
	}
	return v.str == nil && string(v.bin) == string(bin)
}

// valueOf reads exactly one of SecretString and SecretBinary (base64).
func valueOf(in map[string]any) (*string, []byte, *apiError) {
	sv, hasStr := in["SecretString"].(string)
	b64, hasBin := in["SecretBinary"].(string)
	if hasStr == hasBin {
		return nil, nil, &apiError{"InvalidParameterException", "You must provide either SecretString or SecretBinary."}
	}
	if hasStr {
		if len(sv) > MaxSize {
			return nil, nil, &apiError{"InvalidParameterException", "SecretString is too long."}
		}
		return &sv, nil, nil
	}
	bin, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(bin) > MaxSize {
		return nil, nil, &apiError{"InvalidParameterException", "SecretBinary must be base64 of at most 65536 bytes."}
	}
	return nil, bin, nil
}

// stagesOf reads VersionStages; absent means [AWSCURRENT].
func stagesOf(in map[string]any) ([]string, *apiError) {
	raw, ok := in["VersionStages"]
	if !ok {
		return []string{Current}, nil
	}
	list, ok := raw.([]any)
	if !ok || len(list) > 20 {
		return nil, &apiError{"InvalidParameterException", "VersionStages must be a list of at most 20 labels"}
	}
	var out []string
	for _, v := range list {
		st, ok := v.(string)
		if !ok || st == "" || len(st) > 256 {
			return nil, &apiError{"InvalidParameterException", "a staging label must be 1 to 256 characters"}
		}
		out = append(out, st)
	}
	return out, nil
}

func (s *Server) updateSecretVersionStage(in map[string]any) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, aerr := s.secret(in)
	if aerr != nil {
		return http.StatusBadRequest, aerr
	}
	if aerr := e.moveStage(str(in, "VersionStage"), str(in, "MoveToVersionId"), str(in, "RemoveFromVersionId")); aerr != nil {
		return http.StatusBadRequest, aerr
	}
	return http.StatusOK, map[string]any{"ARN": e.arn, "Name": e.name}
}

// moveStage is UpdateSecretVersionStage: remove stage from one version and
// attach it to another. A label that sits on a version must be removed
// from it explicitly before it can move, as the service requires.
func (e *secretEntry) moveStage(stage, to, from string) *apiError {
	if stage == "" || to == "" && from == "" {
		return &apiError{"InvalidParameterException", "VersionStage and MoveToVersionId or RemoveFromVersionId are required"}
	}
	holder := e.holder(stage)
	switch {
	case from != "" && (holder == nil || holder.id != from):
		return &apiError{"InvalidParameterException", "The staging label " + stage + " is not attached to version " + from + "."}
	case to != "" && e.versions[to] == nil:
		return &apiError{"ResourceNotFoundException", "Secrets Manager can't find the specified secret version: " + to}
	case to != "" && holder != nil && holder.id != to && from == "":
		return &apiError{"InvalidParameterException", "The parameter RemoveFromVersionId can't be empty. Staging label " +
			stage + " is currently attached to version " + holder.id + ", so you must explicitly reference that version in RemoveFromVersionId."}
	case to != "":
		e.attach(stage, e.versions[to])
	default:
		e.detach(stage, holder)
	}
	return nil
}

func (s *Server) listSecretVersionIds(in map[string]any) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, aerr := s.secret(in)
	if aerr != nil {
		return http.StatusBadRequest, aerr
	}
	all, _ := in["IncludeDeprecated"].(bool)
	var list []map[string]any
	for _, id := range e.order {
		v := e.versions[id]
		if len(v.stages) == 0 && !all {
			continue // a version without labels is deprecated
		}
		list = append(list, map[string]any{"VersionId": v.id, "VersionStages": v.stages, "CreatedDate": epoch(v.created)})
	}
	out := map[string]any{"ARN": e.arn, "Name": e.name}
	page, next, aerr := paginate(list, in)
	if aerr != nil {
		return http.StatusBadRequest, aerr
	}
	out["Versions"] = page
	if next != "" {
		out["NextToken"] = next
	}
	return http.StatusOK, out
}

// paginate cuts list at MaxResults (1 to 100; default 100), resuming
// after NextToken, which is the index to resume at.
func paginate(list []map[string]any, in map[string]any) ([]map[string]any, string, *apiError) {
	size := 100
	if n, ok := in["MaxResults"].(float64); ok {
		size = int(n)
	}
	from := 0
	if tok := str(in, "NextToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(list) {
			return nil, "", &apiError{"InvalidNextTokenException", "The NextToken value is invalid."}
		}
		from = n
	}
	if size < 1 || size > 100 {
		return nil, "", &apiError{"InvalidParameterException", "MaxResults must be 1 to 100"}
	}
	to := min(from+size, len(list))
	if to < len(list) {
		return list[from:to], strconv.Itoa(to), nil
	}
	return list[from:to], "", nil
}

// epoch is a timestamp as the JSON 1.1 protocol writes it: seconds since
// the epoch as a number.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// Put stores value as a new SecretString version labelled AWSCURRENT,
// creating the secret if needed, as PutSecretValue (or CreateSecret) does,
// and returns the version id. The size limit is not enforced.
func (s *Server) Put(name string, value []byte) string {
	v := string(value)
	return s.put(name, &v, nil)
}

// PutBinary is Put for a SecretBinary value.
func (s *Server) PutBinary(name string, value []byte) string {
	return s.put(name, nil, append([]byte(nil), value...))
}

func (s *Server) put(name string, sv *string, bin []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.secrets[name]
	if e == nil {
		e = s.create(name)
	}
	e.deleted = time.Time{}
	return e.addVersion(NewVersionID(), sv, bin, []string{Current}).id
}

// Delete removes a secret at once, as DeleteSecret with
// ForceDeleteWithoutRecovery does: every request for it then answers
// ResourceNotFoundException.
func (s *Server) Delete(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.secrets, name)
}

// ScheduleDeletion marks a secret for deletion, as DeleteSecret with a
// recovery window does: DescribeSecret reports DeletedDate and
// GetSecretValue answers InvalidRequestException.
func (s *Server) ScheduleDeletion(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.secrets[name]; e != nil {
		e.deleted = time.Now()
	}
}

// SetDecryptFailure makes GetSecretValue for name fail with
// DecryptionFailure (a KMS key the caller cannot use) until called with
// false.
func (s *Server) SetDecryptFailure(name string, fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.secrets[name]; e != nil {
		e.decryptFail = fail
	}
}

// ARN returns the full ARN of a secret, or "" when there is none.
func (s *Server) ARN(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.secrets[name]; e != nil {
		return e.arn
	}
	return ""
}

// Stages returns the staging labels of every labelled version of a secret,
// sorted, as DescribeSecret reports them.
func (s *Server) Stages(name string) map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.secrets[name]
	if e == nil {
		return nil
	}
	m := e.stagesMap()
	for _, st := range m {
		sort.Strings(st)
	}
	return m
}

// VersionOf returns the id of the version carrying stage, or "".
func (s *Server) VersionOf(name, stage string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.secrets[name]; e != nil {
		if v := e.holder(stage); v != nil {
			return v.id
		}
	}
	return ""
}

// MoveStage moves stage to version id from whichever version holds it, as
// UpdateSecretVersionStage with MoveToVersionId and RemoveFromVersionId
// does (moving AWSCURRENT moves AWSPREVIOUS too). It is not counted as a
// client request.
func (s *Server) MoveStage(name, stage, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.secrets[name]
	if e == nil {
		return &apiError{"ResourceNotFoundException", "no secret " + name}
	}
	from := ""
	if h := e.holder(stage); h != nil {
		from = h.id
	}
	if aerr := e.moveStage(stage, id, from); aerr != nil {
		return aerr
	}
	return nil
}
