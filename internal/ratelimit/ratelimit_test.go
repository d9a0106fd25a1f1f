package ratelimit

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

func check(t *testing.T, l Limiter, key string) {
	t.Helper()
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		r, err := l.Allow(ctx, key, 3)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Allowed || r.Remaining != 3-i || r.Limit != 3 {
			t.Fatalf("request %d: %+v", i, r)
		}
		if d := time.Until(r.Reset); d <= 0 || d > Window {
			t.Fatalf("reset %v from now", d)
		}
	}
	r, _ := l.Allow(ctx, key, 3)
	if r.Allowed || r.Remaining != 0 || r.RetryAfter() < 1 || r.RetryAfter() > 60 {
		t.Fatalf("4th request: %+v retry %d", r, r.RetryAfter())
	}
	if r2, _ := l.Allow(ctx, key+"-other", 3); !r2.Allowed {
		t.Fatal("keys share a window")
	}
}

func TestMemory(t *testing.T) {
	m := NewMemory()
	check(t, m, "a")
	// The window starts with its first request and ends a minute later.
	now := time.Now()
	m.now = func() time.Time { return now.Add(Window + time.Second) }
	if r, _ := m.Allow(context.Background(), "a", 3); !r.Allowed || r.Remaining != 2 {
		t.Fatalf("new window: %+v", r)
	}
}

func TestMemoryConcurrent(t *testing.T) {
	m := NewMemory()
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _ := m.Allow(context.Background(), "k", 20)
			if r.Allowed {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != 20 {
		t.Fatalf("allowed %d of 50 with a limit of 20", allowed)
	}
}

// Two limiters on one Redis share the count, as two server instances do.
func TestRedisShared(t *testing.T) {
	url := os.Getenv("CIRQLL_TEST_REDIS_URL")
	if url == "" {
		t.Skip("CIRQLL_TEST_REDIS_URL not set")
	}
	ctx := context.Background()
	a, err := NewRedis(ctx, url)
	if err != nil {
		t.Fatalf("redis at CIRQLL_TEST_REDIS_URL: %v", err)
	}
	defer a.Close()
	b, err := NewRedis(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	key := fmt.Sprintf("test-%d", time.Now().UnixNano())
	check(t, a, key+"-single")
	for i := 0; i < 2; i++ {
		if r, _ := a.Allow(ctx, key, 3); !r.Allowed {
			t.Fatal("refused early")
		}
	}
	if r, _ := b.Allow(ctx, key, 3); !r.Allowed || r.Remaining != 0 {
		t.Fatalf("second instance: %+v", r)
	}
	if r, _ := a.Allow(ctx, key, 3); r.Allowed {
		t.Fatal("the limit is not shared")
	}
}
