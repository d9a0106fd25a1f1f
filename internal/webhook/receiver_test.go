package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// delivery is one request a receiver got.
type delivery struct {
	Event, ID, Timestamp, Signature string
	Body                            []byte
	Payload                         map[string]any
	Valid                           bool // signature verified with the receiver's secret
}

// receiver is a real HTTP endpoint on 127.0.0.1 that verifies signatures,
// answers what answer says, and records every request.
type receiver struct {
	t   testing.TB
	srv *httptest.Server

	mu     sync.Mutex
	secret string
	got    []delivery
	answer func(d delivery, n int) int // status for the n-th request (0-based); nil: 200
	delay  time.Duration
	// redirect, when set, answers every request with a 307 to it.
	redirect string
	notify   chan struct{}
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{t: t, notify: make(chan struct{}, 1)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) URL() string { return r.srv.URL + "/hook" }

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	r.secret = s
	r.mu.Unlock()
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	d := delivery{Event: req.Header.Get("X-Cirqll-Event"), ID: req.Header.Get("X-Cirqll-Delivery"),
		Timestamp: req.Header.Get("X-Cirqll-Timestamp"), Signature: req.Header.Get("X-Cirqll-Signature"), Body: body}
	_ = json.Unmarshal(body, &d.Payload)
	r.mu.Lock()
	d.Valid = verify(r.secret, d.Timestamp, body, d.Signature) && req.Header.Get("Content-Type") == "application/json" && req.Method == http.MethodPost
	n := len(r.got)
	r.got = append(r.got, d)
	answer, delay := r.answer, r.delay
	r.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	status := http.StatusOK
	if answer != nil {
		status = answer(d, n)
	}
	if r.redirect != "" {
		http.Redirect(w, req, r.redirect, http.StatusTemporaryRedirect)
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte("ok"))
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// verify checks X-Cirqll-Signature the way a receiver should.
func verify(secret, ts string, body []byte, sig string) bool {
	if secret == "" {
		return false
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	return hmac.Equal([]byte(want), []byte(sig))
}

func (r *receiver) all() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// waitFor waits until cond holds for the deliveries so far (up to limit;
// never a timing assertion, only a bound on how long to wait).
func (r *receiver) waitFor(limit time.Duration, what string, cond func([]delivery) bool) []delivery {
	r.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		got := r.all()
		if cond(got) {
			return got
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("receiver: gave up waiting for %s; got %d deliveries: %v", what, len(got), events(got))
		}
		select {
		case <-r.notify:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitN waits for at least n deliveries.
func (r *receiver) waitN(n int) []delivery {
	r.t.Helper()
	return r.waitFor(30*time.Second, strconv.Itoa(n)+" deliveries", func(d []delivery) bool { return len(d) >= n })
}

func events(ds []delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Event
	}
	return out
}
