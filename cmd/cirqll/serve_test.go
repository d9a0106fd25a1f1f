package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cirqll/core/internal/store/storetest"
)

// serve on a taken port fails before the first start: nothing is created
// and no credentials are printed.
func TestServePortTakenCreatesNothing(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.String(), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			env := []string{"CIRQLL_DATABASE_URL=" + storetest.URL(t, d), "CIRQLL_ADDR=" + ln.Addr().String()}
			cli(t, env, false, "serve") // fails with a message and no stdout
			// The database has no company: creating one gets id 1.
			c := cli(t, env, true, "company", "create", "--name", "Acme", "--owner-email", "o@acme.test", "--owner-password", "a-long-password-1")
			if fmt.Sprint(c["company_id"]) != "1" {
				t.Fatalf("serve created a company before failing to listen: %v", c)
			}
		})
	}
}

// The token lifetimes come from the environment; a bad one stops serve.
func TestServeTokenTTLs(t *testing.T) {
	for _, bad := range []string{"CIRQLL_ACCESS_TOKEN_TTL=30d", "CIRQLL_REFRESH_TOKEN_TTL=-1h", "CIRQLL_AUTH_CODE_TTL=0s"} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a server that starts is a failure too
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "serve")
		cmd.Env = append(os.Environ(), "CIRQLL_DATABASE_URL="+t.TempDir()+"/c.db", "CIRQLL_ADDR=127.0.0.1:0", bad)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err == nil || stdout.Len() != 0 || !strings.Contains(stderr.String(), strings.Split(bad, "=")[0]) {
			t.Fatalf("%s: err=%v stdout=%q stderr=%q", bad, err, stdout.String(), stderr.String())
		}
	}
	for _, d := range storetest.Dialects() {
		t.Run(d.String(), func(t *testing.T) {
			env := []string{"CIRQLL_DATABASE_URL=" + storetest.URL(t, d)}
			c := cli(t, env, true, "company", "create", "--name", "Acme", "--owner-email", "o@acme.test", "--owner-password", "a-long-password-1")
			cl := cli(t, env, true, "client", "create", "--company", fmt.Sprint(c["company_id"]), "--name", "App", "--redirect-uri", "https://app.test/cb")
			addr := freePort(t)
			cmd := exec.Command(bin, "serve")
			cmd.Env = append(os.Environ(), append(env, "CIRQLL_ADDR="+addr, "CIRQLL_ACCESS_TOKEN_TTL=90m")...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
			form := url.Values{"grant_type": {"client_credentials"}, "scope": {"customer.read.all"},
				"client_id": {cl["client_id"].(string)}, "client_secret": {cl["client_secret"].(string)}}
			var resp *http.Response
			var err error
			for i := 0; i < 100; i++ {
				if resp, err = http.PostForm("http://"+addr+"/oauth/token", form); err == nil {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var tok struct {
				ExpiresIn int `json:"expires_in"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 || tok.ExpiresIn != 5400 {
				t.Fatalf("token: %d %+v %v", resp.StatusCode, tok, err)
			}
		})
	}
}
