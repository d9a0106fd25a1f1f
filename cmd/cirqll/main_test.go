package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cirqll/core/internal/store/storetest"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cirqll-cli")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "cirqll")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs the binary with env and returns its stdout as JSON.
func cli(t *testing.T, env []string, wantOK bool, args ...string) map[string]any {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if wantOK != (err == nil) {
		t.Fatalf("cirqll %s: err=%v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	if !wantOK {
		if stderr.Len() == 0 || stdout.Len() != 0 {
			t.Fatalf("cirqll %s failed without a message on stderr (or wrote stdout): %q %q", strings.Join(args, " "), stderr.String(), stdout.String())
		}
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &m); err != nil {
		t.Fatalf("cirqll %s: stdout is not JSON: %q", strings.Join(args, " "), stdout.String())
	}
	return m
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestCommands(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.String(), func(t *testing.T) {
			env := []string{"CIRQLL_DATABASE_URL=" + storetest.URL(t, d), "CIRQLL_ENV=production"}
			first := cli(t, env, true, "migrate")
			if l, _ := first["applied"].([]any); len(l) == 0 {
				t.Fatalf("first migrate applied nothing: %v", first)
			}
			if again := cli(t, env, true, "migrate"); len(again["applied"].([]any)) != 0 {
				t.Fatalf("migrate is not idempotent: %v", again)
			}
			c := cli(t, env, true, "company", "create", "--name", "Acme BV", "--owner-email", "Owner@Acme.nl", "--owner-password", "a-long-password-1")
			if c["company_id"] == nil || c["user_id"] == nil {
				t.Fatalf("company create: %v", c)
			}
			cli(t, env, false, "company", "create", "--name", "Dup", "--owner-email", "owner@acme.nl", "--owner-password", "a-long-password-1")
			cli(t, env, false, "company", "create", "--name", "No password")
			cli(t, env, false, "client", "create", "--company", "999", "--name", "x", "--redirect-uri", "https://x.test/cb")
			cli(t, env, false, "nonsense")
			company := fmt.Sprint(c["company_id"])
			conf := cli(t, env, true, "client", "create", "--company", company, "--name", "App", "--redirect-uri", "https://app.test/cb")
			if s, _ := conf["client_secret"].(string); s == "" || conf["client_id"] == "" {
				t.Fatalf("client create: %v", conf)
			}
			pub := cli(t, env, true, "client", "create", "--company", company, "--name", "Native", "--redirect-uri", "http://127.0.0.1:9/cb", "--public")
			if v, ok := pub["client_secret"]; !ok || v != nil {
				t.Fatalf("public client secret should be null: %v", pub)
			}
			cli(t, env, false, "client", "create", "--company", company, "--name", "Bad", "--redirect-uri", "not a url")
		})
	}
}

// The first serve on an empty database creates a company and prints the
// owner's credentials once; the server answers health, readiness and
// metrics, and SIGTERM stops it with exit status 0.
func TestServeFirstStartAndShutdown(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.String(), func(t *testing.T) {
			addr := freePort(t)
			cmd := exec.Command(bin, "serve")
			cmd.Env = append(os.Environ(), "CIRQLL_DATABASE_URL="+storetest.URL(t, d), "CIRQLL_ADDR="+addr)
			stdout, _ := cmd.StdoutPipe()
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil {
				t.Fatalf("no first-start output: %v; stderr %s", err, stderr.String())
			}
			var first map[string]any
			if err := json.Unmarshal([]byte(line), &first); err != nil || first["owner_email"] == nil || first["owner_password"] == nil {
				t.Fatalf("first start output: %q", line)
			}
			base := "http://" + addr
			var resp *http.Response
			for i := 0; i < 100; i++ {
				if resp, err = http.Get(base + "/readyz"); err == nil {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("readyz: %v %v", resp, err)
			}
			resp.Body.Close()
			get := func(path string) string {
				r, err := http.Get(base + path)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Body.Close()
				b, _ := io.ReadAll(r.Body)
				if r.StatusCode != 200 {
					t.Fatalf("%s: %d", path, r.StatusCode)
				}
				if r.Header.Get("X-Request-Id") == "" {
					t.Fatalf("%s: no X-Request-Id", path)
				}
				return string(b)
			}
			get("/healthz")
			if m := get("/metrics"); !strings.Contains(m, "cirqll_http_requests_total") || !strings.Contains(m, "go_sql_") || !strings.Contains(m, "cirqll_http_request_duration_seconds_bucket") {
				t.Fatal("metrics lack request counters, latency histograms or pool stats")
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
				}
			case <-time.After(20 * time.Second):
				t.Fatal("no exit within 20 s of SIGTERM")
			}
			// Logs are JSON lines with request ids, and never the password.
			for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
				var m map[string]any
				if json.Unmarshal([]byte(l), &m) != nil {
					t.Fatalf("log line is not JSON: %q", l)
				}
			}
			if !strings.Contains(stderr.String(), `"request_id"`) || strings.Contains(stderr.String(), first["owner_password"].(string)) {
				t.Fatal("logs lack request ids or contain the owner's password")
			}
			// A second start on the same database creates nothing.
		})
	}
}

// fails runs the binary in dir, expects a non-zero exit with nothing on
// stdout, and returns its message.
func fails(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err == nil || stdout.Len() != 0 || stderr.Len() == 0 {
		t.Fatalf("cirqll %s: err=%v stdout=%q stderr=%q, want a failure with a message", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stderr.String()
}

// TestRefusesBadInput: what the API would refuse, stray arguments, and
// database URLs that are neither PostgreSQL nor a plain SQLite path fail
// with a message people can act on, and leave no file behind.
func TestRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	env := []string{"CIRQLL_DATABASE_URL=" + filepath.Join(dir, "c.db"), "CIRQLL_ENV=production"}
	c := cli(t, env, true, "company", "create", "--name", "Acme", "--owner-email", "owner@acme.nl", "--owner-password", "a-long-password-1")
	company := fmt.Sprint(c["company_id"])

	msg := fails(t, dir, env, "company", "create", "--name", "X", "--owner-email", "bad", "--owner-password", "a-long-password-1")
	if !strings.Contains(msg, "--owner-email") {
		t.Errorf("bad e-mail: %q", msg)
	}
	for _, args := range [][]string{
		{"company", "create", "--name", "X", "--owner-email", "x@acme.nl", "--owner-password", "a-long-password-1", "extra"},
		{"company", "create", "stray", "--name", "X", "--owner-email", "x@acme.nl", "--owner-password", "a-long-password-1"},
		{"client", "create", "--company", company, "--name", "App", "--redirect-uri", "https://app.test/cb", "extra"},
		{"migrate", "now"},
		{"serve", "extra"},
		{"seed", "--company", company, "--customers", "1", "extra"},
	} {
		if msg := fails(t, dir, env, args...); !strings.Contains(msg, "unexpected argument") {
			t.Errorf("%v: %q", args, msg)
		}
	}
	// Nothing of the refused commands was written.
	if n := cli(t, env, true, "company", "create", "--name", "Y", "--owner-email", "x@acme.nl", "--owner-password", "a-long-password-1"); n["company_id"] == nil {
		t.Fatalf("company create: %v", n)
	}

	for _, uri := range []string{"not-a-url", "https://app.test/cb#frag"} {
		msg := fails(t, dir, env, "client", "create", "--company", company, "--name", "Bad", "--redirect-uri", uri)
		if strings.Contains(msg, "v_redirect_uri") || strings.Contains(msg, "422") || !strings.Contains(msg, "invalid redirect URI: "+uri) {
			t.Errorf("redirect URI %s: %q", uri, msg)
		}
	}

	for _, u := range []string{"mysql://root@127.0.0.1/x", "http://db.test/x", "file:sub/x.db?_pragma=busy_timeout(5000)", "sqlite:x.db?mode=ro"} {
		empty := t.TempDir()
		msg := fails(t, empty, []string{"CIRQLL_DATABASE_URL=" + u}, "migrate")
		if !strings.Contains(msg, "CIRQLL_DATABASE_URL") {
			t.Errorf("%s: %q", u, msg)
		}
		if left, _ := os.ReadDir(empty); len(left) != 0 {
			t.Errorf("%s left %s behind", u, left[0].Name())
		}
	}
}
