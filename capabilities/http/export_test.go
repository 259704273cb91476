package httpcap

import (
	"context"
	"crypto/x509"
	"net/netip"

	"littleboxes/capabilities"
	"littleboxes/capabilities/web"
)

// SetLookup replaces the name resolution of inst, which must be a
// provisioned *HTTP, so a test name like rebind.test can resolve to
// 127.0.0.1.
func SetLookup(inst capabilities.Instance, f func(ctx context.Context, host string) ([]netip.Addr, error)) {
	inst.(*HTTP).c.SetLookup(f)
}

// SetRootCAs makes inst trust pool, for a test TLS server. Call it before
// the first request.
func SetRootCAs(inst capabilities.Instance, pool *x509.CertPool) {
	inst.(*HTTP).c.Transport().TLSClientConfig.RootCAs = pool
}

// ResolveURL exposes the URL check of fetch.
func ResolveURL(inst capabilities.Instance, raw string) (string, error) {
	u, err := inst.(*HTTP).c.ResolveURL(raw)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// PrivateAddr exposes the address policy.
var PrivateAddr = web.PrivateAddr
