package config

import (
	"strings"
	"testing"
	"time"
)

func TestReadTTLs(t *testing.T) {
	c := FromEnv()
	if err := c.ReadTTLs(); err != nil || c.AccessTTL != 720*time.Hour || c.RefreshTTL != 2160*time.Hour || c.CodeTTL != 10*time.Minute {
		t.Fatalf("defaults: %v %+v", err, c)
	}
	t.Setenv("CIRQLL_ACCESS_TOKEN_TTL", "1h30m")
	t.Setenv("CIRQLL_REFRESH_TOKEN_TTL", "48h")
	t.Setenv("CIRQLL_AUTH_CODE_TTL", "90s")
	c = FromEnv()
	if err := c.ReadTTLs(); err != nil || c.AccessTTL != 90*time.Minute || c.RefreshTTL != 48*time.Hour || c.CodeTTL != 90*time.Second {
		t.Fatalf("set: %v %+v", err, c)
	}
	for _, bad := range []string{"30d", "0", "-5m", "soon"} {
		t.Setenv("CIRQLL_AUTH_CODE_TTL", bad)
		c = FromEnv()
		if err := c.ReadTTLs(); err == nil || !strings.Contains(err.Error(), "CIRQLL_AUTH_CODE_TTL") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
