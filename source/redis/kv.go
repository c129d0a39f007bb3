package redis

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hushmcp/hush/source"
)

// MaxHashFields bounds how many fields HGetAll reads.
const MaxHashFields = source.MaxHashFields

// KV is the key-value capability this kind provides (source.KV).
type KV = source.KV

// Get reads at most limit bytes of the value, in one round trip with its
// length and existence.
func (s *Source) Get(ctx context.Context, key string, limit int64) (string, bool, error) {
	limit = max(limit, 1) // GETRANGE 0 -1 would read it all
	var exists, size int64
	var val string
	err := s.do(ctx, "GET", func(c *client) error {
		cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Exists(ctx, key)
			p.StrLen(ctx, key)
			p.GetRange(ctx, key, 0, limit-1)
			return nil
		})
		if err != nil {
			return err
		}
		exists, size, val = cmds[0].(*redis.IntCmd).Val(), cmds[1].(*redis.IntCmd).Val(), cmds[2].(*redis.StringCmd).Val()
		return nil
	})
	switch {
	case err != nil:
		return "", false, err
	case size > limit:
		return "", true, &TooLargeError{Size: size, Limit: limit, What: "value size in bytes"}
	}
	return val, exists > 0, nil
}

// Set runs SET key value PX ttl.
func (s *Source) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	if ttl <= 0 {
		return errors.New("set: a positive ttl is required")
	}
	return s.do(ctx, "SET", func(c *client) error { return c.Set(ctx, key, value, ttl).Err() })
}

// Del runs DEL key.
func (s *Source) Del(ctx context.Context, key string) (bool, error) {
	var n int64
	err := s.do(ctx, "DEL", func(c *client) (err error) { n, err = c.Del(ctx, key).Result(); return err })
	return n > 0, err
}

// HGet checks the field's length before reading it, so an oversized field
// is never transferred.
func (s *Source) HGet(ctx context.Context, key, field string, limit int64) (string, bool, error) {
	var size int64
	var val string
	found := false
	err := s.do(ctx, "HGET", func(c *client) (err error) {
		if size, err = c.HStrLen(ctx, key, field).Result(); err != nil || size > limit {
			return err
		}
		val, err = c.HGet(ctx, key, field).Result()
		found = err == nil
		if errors.Is(err, redis.Nil) {
			err = nil
		}
		return err
	})
	switch {
	case err != nil:
		return "", false, err
	case size > limit:
		return "", true, &TooLargeError{Size: size, Limit: limit, What: "field size in bytes"}
	}
	return val, found, nil
}

// HGetAll checks the field count before reading the hash.
func (s *Source) HGetAll(ctx context.Context, key string, limit int64) (map[string]string, error) {
	var n int64
	var m map[string]string
	err := s.do(ctx, "HGETALL", func(c *client) (err error) {
		if n, err = c.HLen(ctx, key).Result(); err != nil || n > MaxHashFields {
			return err
		}
		m, err = c.HGetAll(ctx, key).Result()
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case n > MaxHashFields:
		return nil, &TooLargeError{Size: n, Limit: MaxHashFields, What: "field count"}
	}
	if size := hashSize(m); size > limit {
		return nil, &TooLargeError{Size: size, Limit: limit, What: "hash size in bytes"}
	}
	return m, nil
}

func hashSize(m map[string]string) int64 {
	var n int64
	for k, v := range m {
		n += int64(len(k) + len(v))
	}
	return n
}

// Exists runs EXISTS key.
func (s *Source) Exists(ctx context.Context, key string) (bool, error) {
	var n int64
	err := s.do(ctx, "EXISTS", func(c *client) (err error) { n, err = c.Exists(ctx, key).Result(); return err })
	return n > 0, err
}

// Incr runs INCR key.
func (s *Source) Incr(ctx context.Context, key string) (int64, error) {
	var n int64
	err := s.do(ctx, "INCR", func(c *client) (err error) { n, err = c.Incr(ctx, key).Result(); return err })
	return n, err
}
