// Package config reads the server's settings from the environment (spec
// README "Running"); flags of the commands may override them.
package config

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// Config is everything the server is told from outside.
type Config struct {
	Addr        string // CIRQLL_ADDR, default :8080
	DatabaseURL string // CIRQLL_DATABASE_URL, default ./data/cirqll.db
	RedisURL    string // CIRQLL_REDIS_URL, optional
	Env         string // CIRQLL_ENV: development or production
	BaseURL     string // CIRQLL_BASE_URL, the public URL
	RateLimit   int    // CIRQLL_RATE_LIMIT, requests per minute per client per company
	DebugAddr   string // CIRQLL_DEBUG_ADDR, optional: net/http/pprof on its own (loopback) listener

	AccessTTL  time.Duration // CIRQLL_ACCESS_TOKEN_TTL, default 30 days
	RefreshTTL time.Duration // CIRQLL_REFRESH_TOKEN_TTL, default 90 days
	CodeTTL    time.Duration // CIRQLL_AUTH_CODE_TTL, default 10 minutes
}

// FromEnv reads the environment. The token lifetimes keep their defaults
// until ReadTTLs reads them.
func FromEnv() Config {
	c := Config{
		Addr:        env("CIRQLL_ADDR", ":8080"),
		DatabaseURL: env("CIRQLL_DATABASE_URL", "./data/cirqll.db"),
		RedisURL:    os.Getenv("CIRQLL_REDIS_URL"),
		Env:         env("CIRQLL_ENV", "production"),
		BaseURL:     os.Getenv("CIRQLL_BASE_URL"),
		DebugAddr:   os.Getenv("CIRQLL_DEBUG_ADDR"),
		RateLimit:   60,
		AccessTTL:   30 * 24 * time.Hour,
		RefreshTTL:  90 * 24 * time.Hour,
		CodeTTL:     10 * time.Minute,
	}
	if n, err := strconv.Atoi(os.Getenv("CIRQLL_RATE_LIMIT")); err == nil && n > 0 {
		c.RateLimit = n
	}
	return c
}

// ReadTTLs reads the token lifetimes (Go duration syntax, such as 720h or
// 10m) over the defaults. It is separate from FromEnv because only serve
// issues tokens: a bad lifetime must stop the server at startup, not the
// commands that never use it.
func (c *Config) ReadTTLs() error {
	for _, s := range []struct {
		name string
		dst  *time.Duration
	}{
		{"CIRQLL_ACCESS_TOKEN_TTL", &c.AccessTTL},
		{"CIRQLL_REFRESH_TOKEN_TTL", &c.RefreshTTL},
		{"CIRQLL_AUTH_CODE_TTL", &c.CodeTTL},
	} {
		v := os.Getenv(s.name)
		if v == "" {
			continue
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("%s=%q: want a positive Go duration such as 720h, 90m or 30s", s.name, v)
		}
		*s.dst = d
	}
	return nil
}

// Dev reports development mode (http webhooks to loopback, relaxed cookies).
func (c Config) Dev() bool { return c.Env == "development" }

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
