package web

// Props are the props the web kinds share, beside their origins: embed it
// (without a json tag) in a kind's props struct, and its fields are that
// kind's props, decoded strictly and listed by capabilities.PropsSchema in
// its place. Client makes the request engine that holds them.
type Props struct {
	Label               string `json:"label,omitempty" doc:"who may read the responses: \"public\" (everyone; never with a credential) or \"private\" (the owner, and the origin when there is only one); default \"private\""`
	Auth                *Auth  `json:"auth,omitempty" doc:"how to attach the credential secret to each request to the origins: {type: bearer|header|query, name?}; needs the credential secret"`
	AllowPrivateNetwork bool   `json:"allow_private_network,omitempty" doc:"allow loopback, private, link-local, unspecified and multicast destinations (a service on this machine or the LAN); default false"`
	Timeout             string `json:"timeout,omitempty" doc:"the most one request may take, redirects and body included, as a Go duration (\"30s\"); default \"15s\", at most \"2m\""`
	MaxResponseBytes    int64  `json:"max_response_bytes,omitempty" doc:"the largest response body read, in bytes; a larger one is an error; default 4194304 (4 MiB)"`
	MaxRequestBytes     int64  `json:"max_request_bytes,omitempty" doc:"the largest request body sent, in bytes; default 1048576 (1 MiB)"`
	MaxRedirects        *int   `json:"max_redirects,omitempty" doc:"how many redirects (within the origins) one request may follow; 0 returns the redirect response as it is; default 5"`
	Consequential       *bool  `json:"consequential,omitempty" doc:"false declares requests not consequential: they are never held because someone other than the owner wrote what the agent read. Default: consequential when a request may change state (a method other than GET, HEAD and OPTIONS)"`
}

// Client returns a request engine holding the props, named name in its
// messages, for the origins given by the prop originsProp ("origins" or
// "origin"). The kind sets the allowed methods, then calls Check.
func (p *Props) Client(name, originsProp string, origins []string) *Client {
	return &Client{
		Name: name, OriginsProp: originsProp, Origins: origins,
		Label: p.Label, Auth: p.Auth, AllowPrivateNetwork: p.AllowPrivateNetwork, Timeout: p.Timeout,
		MaxResponseBytes: p.MaxResponseBytes, MaxRequestBytes: p.MaxRequestBytes, MaxRedirects: p.MaxRedirects,
	}
}

// NotConsequential reports whether the owner declared the instance's
// requests not consequential (consequential: false).
func (p *Props) NotConsequential() bool { return p.Consequential != nil && !*p.Consequential }
