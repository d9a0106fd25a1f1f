package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// blockedPrefixes are ranges no delivery may reach outside development
// mode, beyond what netip.Addr classifies (loopback, private, link-local,
// multicast, unspecified): "this network", carrier-grade NAT (some clouds'
// metadata lives there), IETF protocol assignments, benchmarking, reserved
// and broadcast, and the NAT64 prefix (checked by its embedded IPv4).
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("fec0::/10"),
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Blocked reports whether a delivery may not connect to ip outside
// development mode: loopback, private (RFC 1918, fc00::/7), link-local
// (169.254.0.0/16 with the cloud metadata address 169.254.169.254,
// fe80::/10), multicast, unspecified and the reserved ranges above.
func Blocked(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() {
		return true
	}
	if ip.Is6() && nat64.Contains(ip) {
		b := ip.As16()
		return Blocked(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return ip.Is4() && ip == netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// errBlocked is the attempt error of a refused address.
var errBlocked = errors.New("refused: the address is loopback, private, link-local or reserved")

// guard is the dialer's Control function: it runs for every connection
// attempt with the address actually dialled (after DNS), so a name that
// resolves (or later re-resolves) to an internal address is refused too.
func guard(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", errBlocked, address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || Blocked(ip) {
		return fmt.Errorf("%w: %s", errBlocked, host)
	}
	return nil
}

// newClient is the delivery HTTP client: no proxy (the guard must see the
// target), no redirects (a 3xx is a failed attempt), a total timeout per
// attempt, and the SSRF guard on every connection unless opt.Private.
func newClient(opt Options) *http.Client {
	d := &net.Dialer{Timeout: opt.Timeout, KeepAlive: 30 * time.Second}
	if !opt.Private {
		d.Control = guard
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   opt.Timeout,
		ResponseHeaderTimeout: opt.Timeout,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       opt.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// literalBlocked reports a host that is refused without resolving it: an
// internal IP literal or a localhost name.
func literalBlocked(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	if ip, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return Blocked(ip)
	}
	return false
}

// loopbackHost reports localhost names and loopback literals (the only
// http targets development mode allows).
func loopbackHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(h, "[]"))
	return err == nil && ip.Unmap().IsLoopback()
}

// attemptCtx bounds one attempt by the client timeout and by hard (Stop).
func attemptCtx(hard context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(hard, timeout+time.Second)
}
