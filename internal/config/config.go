// Package config reads the server's settings from the environment (spec
// README "Running"); flags of the commands may override them.
package config

import (
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

	AccessTTL  time.Duration // 30 days
	RefreshTTL time.Duration // 90 days
	CodeTTL    time.Duration // 10 minutes
}

// FromEnv reads the environment.
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

// Dev reports development mode (http webhooks to loopback, relaxed cookies).
func (c Config) Dev() bool { return c.Env == "development" }

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
