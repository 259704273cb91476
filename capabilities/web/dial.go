package web

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// newTransport returns the transport of an instance: no proxy (an
// environment proxy would bypass the address check), every connection made
// by h.dial.
func newTransport(h *Client) *http.Transport {
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            h.dial,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    10 * time.Second,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: 256 << 10,
		ExpectContinueTimeout:  time.Second,
	}
}

// dial resolves addr's host, refuses private destinations unless the props
// allow them, and connects to the checked address itself, so that a name
// resolving to a public address now and to 127.0.0.1 a moment later (DNS
// rebinding) cannot slip through. The dialer's Control checks the address
// once more, on the socket about to connect.
func (h *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		ips, err = h.resolve(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("resolving %s: %w", host, err)
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("resolving %s: no addresses", host)
		}
	}
	if !h.AllowPrivateNetwork {
		for _, ip := range ips {
			if reason := PrivateAddr(ip); reason != "" {
				what := ip.String()
				if what != host {
					what = fmt.Sprintf("%s (the address of %s)", ip, host)
				}
				return nil, fmt.Errorf("%w: %s is %s; the props do not set allow_private_network", ErrPrivateAddress, what, reason)
			}
		}
	}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: h.control}
	var errs []error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// control checks the address of a socket about to connect.
func (h *Client) control(network, address string, _ syscall.RawConn) error {
	if h.AllowPrivateNetwork {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot check address %q", ErrPrivateAddress, address)
	}
	if reason := PrivateAddr(ap.Addr()); reason != "" {
		return fmt.Errorf("%w: %s is %s", ErrPrivateAddress, ap.Addr(), reason)
	}
	return nil
}

// specialPrefixes are ranges that are not the public internet, beyond what
// netip.Addr's predicates cover.
var specialPrefixes = []struct {
	p      netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "an unspecified (\"this network\") address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared (carrier-grade NAT, Tailscale) address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol assignment address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved or broadcast address"},
}

// embeddingPrefixes are IPv6 ranges that carry an IPv4 address (NAT64,
// 6to4), which is checked in turn.
var embeddingPrefixes = []struct {
	p      netip.Prefix
	offset int // byte offset of the IPv4 address
}{
	{netip.MustParsePrefix("64:ff9b::/96"), 12},
	{netip.MustParsePrefix("64:ff9b:1::/48"), 12},
	{netip.MustParsePrefix("2002::/16"), 2},
}

// PrivateAddr says why ip is not a public destination, or "" when it is:
// the address policy of the dialer.
func PrivateAddr(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return "not a valid address"
	case ip.IsUnspecified():
		return "an unspecified address"
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsPrivate():
		return "a private network address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "a multicast address"
	}
	for _, s := range specialPrefixes {
		if s.p.Contains(ip) {
			return s.reason
		}
	}
	if ip.Is6() {
		b := ip.As16()
		for _, e := range embeddingPrefixes {
			if e.p.Contains(ip) {
				v4 := netip.AddrFrom4([4]byte(b[e.offset : e.offset+4]))
				if r := PrivateAddr(v4); r != "" {
					return r + " (embedded in " + ip.String() + ")"
				}
			}
		}
	}
	return ""
}

// privateHost says why the host of a normalized origin is certainly not a
// public destination (an address literal in a private range, or localhost),
// or "" when only dialing can tell.
func privateHost(origin string) string {
	u, err := url.Parse(origin)
	if err != nil {
		return ""
	}
	host := u.Hostname()
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return "this machine (localhost)"
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return PrivateAddr(ip)
	}
	return ""
}
