package webhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cirqll/core/internal/dialect"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store/storetest"
)

// The tests in this file run the real binary (./cmd/cirqll built into a
// temporary folder) as subprocesses, so they can kill it with SIGKILL.

// buildServer builds ./cmd/cirqll into dir.
func buildServer(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := filepath.Join(t.TempDir(), "cirqll")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/cirqll/core/cmd/cirqll").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// cli runs a command of the binary and decodes its JSON output.
func cli(t *testing.T, bin, dbURL string, args ...string) map[string]any {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "CIRQLL_DATABASE_URL="+dbURL, "CIRQLL_ENV=development")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("cirqll %v: %v\n%s", args, err, errb.String())
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("cirqll %v: not JSON: %s", args, out.String())
	}
	return m
}

// proc is a running server process.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	logs *syncBuffer
	done chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// serve starts `cirqll serve` on a free loopback port and waits for it.
func serve(t *testing.T, bin, dbURL string, env ...string) *proc {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "CIRQLL_DATABASE_URL="+dbURL, "CIRQLL_ADDR="+addr, "CIRQLL_ENV=development",
		"CIRQLL_RATE_LIMIT=100000000", "CIRQLL_WEBHOOK_LEASE=2s")
	cmd.Env = append(cmd.Env, env...)
	p := &proc{t: t, cmd: cmd, base: "http://" + addr, logs: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("server %s log:\n%s", addr, lastLines(p.logs.String(), 40))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("server exited:\n%s", p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", p.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// tenant is a company prepared with the CLI, with an all-scopes token.
type tenant struct {
	company, user int64
	token         string
}

func prepare(t *testing.T, bin, dbURL string) (id, secret string, tn tenant) {
	t.Helper()
	cli(t, bin, dbURL, "migrate")
	c := cli(t, bin, dbURL, "company", "create", "--name", "Crash Test", "--owner-email", "owner@crash.test", "--owner-password", "crash-test-password")
	tn.company, tn.user = int64(c["company_id"].(float64)), int64(c["user_id"].(float64))
	cl := cli(t, bin, dbURL, "client", "create", "--company", fmt.Sprint(tn.company), "--name", "tests", "--redirect-uri", "http://127.0.0.1/cb")
	return cl["client_id"].(string), cl["client_secret"].(string), tn
}

func token(t *testing.T, base, id, secret string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {strings.Join(schema.Scopes(), " ")}}
	req, _ := http.NewRequest("POST", base+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(b, &tr) != nil {
		t.Fatalf("token: %d %s", resp.StatusCode, b)
	}
	return tr.AccessToken
}

// call sends a JSON request and returns status and decoded body.
func call(t testing.TB, method, u, token string, body any) (int, map[string]any) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, u, err)
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

// TestCrashBetweenCommitAndDelivery kills the server with SIGKILL (1) after
// changes committed but before any delivery (the first process runs no
// delivery workers), and (2) while a delivery is in flight; after a restart
// every event arrives, and the only repeat is the attempt the dead process
// never recorded, with the same X-Cirqll-Delivery id.
func TestCrashBetweenCommitAndDelivery(t *testing.T) {
	bin := buildServer(t)
	for _, d := range dialectURLs(t) {
		t.Run(d.name, func(t *testing.T) { testCrash(t, bin, d.url(t)) })
	}
}

func testCrash(t *testing.T, bin, dbURL string) {
	id, secret, tn := prepare(t, bin, dbURL)
	rcv := newReceiver(t)
	gate := make(chan struct{})
	var hold sync.Once
	held := make(chan struct{})
	rcv.answer = func(d delivery, n int) int {
		if d.Payload["data"].(map[string]any)["name"] == "phase 2 #0" {
			hold.Do(func() {
				close(held)
				<-gate // in flight until the server is dead
			})
		}
		return http.StatusOK
	}

	// (1) committed, then killed before any delivery.
	a := serve(t, bin, dbURL, "CIRQLL_WEBHOOK_WORKERS=0")
	tok := token(t, a.base, id, secret)
	status, w := call(t, "POST", a.base+"/api/webhook", tok, map[string]any{"url": rcv.URL(), "events": []string{"customer.created"}})
	if status != 201 {
		t.Fatalf("subscribe: %d %v", status, w)
	}
	rcv.setSecret(w["secret"].(string))
	want := map[float64]bool{}
	for i := 0; i < 3; i++ {
		st, c := call(t, "POST", a.base+"/api/customer", tok, map[string]any{"name": fmt.Sprintf("phase 1 #%d", i)})
		if st != 201 {
			t.Fatalf("create: %d %v", st, c)
		}
		want[c["id"].(float64)] = true
	}
	a.kill()
	if n := len(rcv.all()); n != 0 {
		t.Fatalf("delivered before the kill: %d", n)
	}
	b := serve(t, bin, dbURL)
	rcv.waitFor(30*time.Second, "phase 1 after restart", func(ds []delivery) bool { return len(ds) >= 3 })

	// (2) killed while the first delivery of phase 2 is in flight.
	for i := 0; i < 3; i++ {
		st, c := call(t, "POST", b.base+"/api/customer", tok, map[string]any{"name": fmt.Sprintf("phase 2 #%d", i)})
		if st != 201 {
			t.Fatalf("create: %d %v", st, c)
		}
		want[c["id"].(float64)] = true
	}
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("phase 2 delivery never started")
	}
	b.kill()
	close(gate)
	serve(t, bin, dbURL)
	got := rcv.waitFor(60*time.Second, "every event", func(ds []delivery) bool {
		seen := map[float64]bool{}
		for _, d := range ds {
			seen[d.Payload["data"].(map[string]any)["id"].(float64)] = true
		}
		return len(seen) == len(want)
	})
	time.Sleep(300 * time.Millisecond)
	got = rcv.all()
	byEvent := map[string][]delivery{}
	for _, d := range got {
		if !d.Valid {
			t.Errorf("bad signature: %s", d.Body)
		}
		if !want[d.Payload["data"].(map[string]any)["id"].(float64)] {
			t.Errorf("unexpected event %s", d.Body)
		}
		ev := d.Payload["id"].(string)
		byEvent[ev] = append(byEvent[ev], d)
	}
	repeats := 0
	for ev, ds := range byEvent {
		for _, d := range ds[1:] {
			repeats++
			if d.ID != ds[0].ID || ds[0].Payload["data"].(map[string]any)["name"] != "phase 2 #0" {
				t.Errorf("event %s repeated with delivery ids %s and %s (%s)", ev, ds[0].ID, d.ID, d.Body)
			}
		}
	}
	if len(byEvent) != 6 || repeats > 1 {
		t.Fatalf("%d events, %d repeats: %v", len(byEvent), repeats, events(got))
	}
	t.Logf("6 events delivered across 2 SIGKILLs; repeats seen by the receiver: %d (the attempt in flight at the kill)", repeats)
	_ = tn
}

type dialectURL struct {
	name string
	url  func(t *testing.T) string
}

func dialectURLs(t *testing.T) []dialectURL {
	out := []dialectURL{{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "cirqll.db") }}}
	if pgAdmin() != "" {
		out = append(out, dialectURL{"postgres", pgURL})
	}
	return out
}

func pgAdmin() string           { return storetest.PostgresURL() }
func pgURL(t *testing.T) string { return storetest.URL(t, dialect.Postgres) }
