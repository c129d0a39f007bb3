// Package awssm provides secrets read from AWS Secrets Manager:
//
//	awssm://prod/app/db                          a secret's AWSCURRENT version
//	awssm://prod/app/db#password                 one field of its JSON document
//	awssm://prod/app/db?stage=AWSPREVIOUS        another staging label
//	awssm://prod/app/db?version=<version-id>     one immutable version
//	awssm://prod/app/db?region=eu-west-1         a region other than the default
//	awssm:///arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app/db-AbCdEf
//
// A name is the URL's host and path joined. An ARN cannot stand in a URL's
// host (its colons read as a port), so it follows three slashes, as a path,
// where it may also be written URL-escaped; its region is used unless
// ?region= says the same. Names with characters a host cannot hold (@) are
// written the same way: awssm:///team@corp/db.
//
// A driver returns SecretString as its bytes and SecretBinary decoded; the
// store selects #field from a JSON document, so RDS-style documents
// (engine, host, username, password, dbname, port as a string or a number)
// serve ${secret:DB#password} and ${secret:DB#port} alike.
//
// # Caching and refresh
//
// The driver behaves like AWS's caching client: DescribeSecret maps the
// staging label to a version id; a value is fetched by version id
// (GetSecretValue), which is immutable, and kept; the mapping is checked
// again at a random point in [RefreshTTL/2, RefreshTTL). When the label has
// moved the driver signals the store (driver.Watcher), which then fetches
// the new value and publishes it; sources verify, swap and drain. A failed
// check is retried with backoff from one second doubling to five minutes
// (the SDK itself retries throttling and 5xx with jittered backoff), the
// store keeps serving the last good value and marks the secret degraded.
//
// A Fetch the driver did not ask for (the store's Refresh, when a consumer
// reports its credential rejected) checks the label at once: at most once
// per ForcedRefreshInterval per secret. A force within the interval is
// carried out by the driver when the interval ends, and signalled if it
// found a new version; no caller ever waits for it. Tool calls never reach
// Secrets Manager: the store serves values from memory.
//
// A ?version= reference never changes: it is fetched once (driver.Static).
//
// # Credentials
//
// One AWS configuration is loaded with the SDK's default chain
// (environment, shared config and profiles, web identity / IRSA, ECS task
// role, EC2 instance metadata); hush.yaml never holds keys. Clients are
// shared by every secret of a region.
package awssm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go/logging"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
)

// MaxSize is the largest value accepted, in bytes: Secrets Manager's own
// limit.
const MaxSize = 65536

// Opener opens awssm:// references. Register it once per process:
//
//	mux.Register("awssm", &awssm.Opener{Logger: logger})
//
// It implements secret.Configurer (the awssm: block) and io.Closer.
// Exported fields must be set before first use.
type Opener struct {
	// Logger receives refresh events, never a value; nil discards.
	Logger *slog.Logger
	// HTTPClient replaces the SDK's HTTP client; tests use it to reach a
	// test server in memory.
	HTTPClient *http.Client
	// ClientOptions are applied to every client after the block's
	// settings; tests use them (retry attempts, say).
	ClientOptions []func(*secretsmanager.Options)

	mu         sync.Mutex
	cfg        Config
	configured bool
	aws        *aws.Config                       // loaded at the first open
	clients    map[string]*secretsmanager.Client // by region
	used       bool
	closed     bool
}

var (
	_ secret.Configurer = (*Opener)(nil)
	_ driver.Driver     = (*Driver)(nil)
	_ driver.Watcher    = (*Driver)(nil)
	_ driver.Static     = (*Driver)(nil)
	_ driver.Pender     = (*Driver)(nil)
)

// OpenSecret validates ref and returns its driver. It reads the AWS
// configuration (files and environment) the first time, but does no
// network I/O: Secrets Manager is first asked at Fetch, so an outage, a
// missing secret or a refused permission is reported by Fetch with its
// error code. A bad reference, or no region, is an error wrapping
// driver.ErrInvalid.
func (o *Opener) OpenSecret(ctx context.Context, ref secret.Ref) (driver.Driver, error) {
	t, err := parseTarget(ref)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cl, cfg, err := o.client(ctx, t.region)
	if err != nil {
		return nil, err
	}
	return newDriver(cl, t, cfg, o.logger()), nil
}

// client returns the shared client for region (empty: the default one).
func (o *Opener) client(ctx context.Context, region string) (*secretsmanager.Client, Config, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil, Config{}, fmt.Errorf("awssm: %w", driver.ErrClosed)
	}
	if !o.configured {
		o.cfg, o.configured = DefaultConfig(), true
	}
	if err := o.loadAWS(ctx); err != nil {
		return nil, Config{}, err
	}
	region = o.region(region)
	if region == "" {
		return nil, Config{}, fmt.Errorf("awssm: no region (set ?region=, awssm.region or AWS_REGION): %w", driver.ErrInvalid)
	}
	o.used = true
	if cl, ok := o.clients[region]; ok {
		return cl, o.cfg, nil
	}
	cl := secretsmanager.NewFromConfig(*o.aws, o.clientOptions(region)...)
	o.clients[region] = cl
	return cl, o.cfg, nil
}

// loadAWS loads the SDK configuration once. Called with o.mu held.
func (o *Opener) loadAWS(ctx context.Context) error {
	if o.aws != nil {
		return nil
	}
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithLogger(sdkLogger(o.logger()))}
	if o.cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(o.cfg.Region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return fmt.Errorf("awssm: load AWS configuration: %s: %w", configReason(err), driver.ErrInvalid)
	}
	o.aws, o.clients = &cfg, map[string]*secretsmanager.Client{}
	return nil
}

// sdkLogger sends the SDK's own log lines (a fallback to IMDSv1, a
// deprecation) through Hush's logger, which redacts and writes JSON,
// instead of the SDK's default: plain text straight to the process's
// stderr. Warnings stay warnings; the rest is debug.
func sdkLogger(l *slog.Logger) logging.Logger {
	return logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
		level := slog.LevelDebug
		if c == logging.Warn {
			level = slog.LevelWarn
		}
		l.Log(context.Background(), level, "aws sdk", "detail", fmt.Sprintf(format, v...))
	})
}

// configReason describes a configuration failure without the SDK's text,
// which may quote a line of a credentials file.
func configReason(err error) string {
	var noProfile awsconfig.SharedConfigProfileNotExistError
	var load awsconfig.SharedConfigLoadError
	switch {
	case errors.As(err, &noProfile) && paramName.MatchString(noProfile.Profile):
		return fmt.Sprintf("profile %q not found", noProfile.Profile)
	case errors.As(err, &noProfile):
		return "profile not found"
	case errors.As(err, &load):
		return "a shared config or credentials file cannot be read"
	}
	return "check the AWS_* environment and the shared config files"
}

// paramName is a name safe to repeat in a message.
var paramName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// region picks the reference's region, else the block's, else the SDK's.
// Called with o.mu held.
func (o *Opener) region(fromRef string) string {
	switch {
	case fromRef != "":
		return fromRef
	case o.cfg.Region != "":
		return o.cfg.Region
	}
	return o.aws.Region
}

func (o *Opener) clientOptions(region string) []func(*secretsmanager.Options) {
	opts := []func(*secretsmanager.Options){func(so *secretsmanager.Options) {
		so.Region = region
		if o.cfg.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.cfg.Endpoint)
		}
		if o.HTTPClient != nil {
			so.HTTPClient = o.HTTPClient
		}
	}}
	return append(opts, o.ClientOptions...)
}

func (o *Opener) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// Close refuses further opens. The drivers are closed by their store,
// before the opener. Idempotent.
func (o *Opener) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closed = true
	return nil
}
