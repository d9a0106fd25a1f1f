package auth

import (
	"testing"

	"github.com/cirqll/core/internal/schema"
)

func TestEffectiveScopes(t *testing.T) {
	cases := []struct {
		name        string
		token, role string
		res, action string
		want        schema.Extent
	}{
		{"both all", "customer.read.all", "customer.read.all", "customer", "read", schema.All},
		{"token own under role all", "customer.read.own", "customer.read.all", "customer", "read", schema.Own},
		{"token all under role own", "customer.read.all", "customer.read.own", "customer", "read", schema.Own},
		{"role lacks it", "customer.read.all", "contact.read.all", "customer", "read", schema.None},
		{"token lacks it", "contact.read.all", "customer.read.all", "customer", "read", schema.None},
		{"other action", "customer.read.all", "customer.read.all customer.update.all", "customer", "update", schema.None},
		{"all and own both held", "customer.read.own customer.read.all", "customer.read.all", "customer", "read", schema.All},
		{"malformed ignored", "customer.read customer.read.some", "customer.read.all", "customer", "read", schema.None},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, p := range []*Principal{PrincipalFor(c.token, c.role), PrincipalFor(c.token, c.role)} {
				if got := p.Extent(c.res, c.action); got != c.want {
					t.Fatalf("Extent(%s.%s) = %v, want %v", c.res, c.action, got, c.want)
				}
			}
		})
	}
	if !PrincipalFor("client.manage.all", "client.manage.all").CanManageClients() {
		t.Fatal("client.manage.all not recognised")
	}
	if PrincipalFor("client.manage.all", "customer.read.all").CanManageClients() {
		t.Fatal("client.manage.all granted without the role holding it")
	}
}

func TestPasswordHash(t *testing.T) {
	h := HashPassword("correct horse battery")
	if !CheckPassword(h, "correct horse battery") || CheckPassword(h, "wrong") || CheckPassword("garbage", "x") {
		t.Fatal("password check wrong")
	}
	if HashPassword("x") == HashPassword("x") {
		t.Fatal("hashes are not salted")
	}
}
