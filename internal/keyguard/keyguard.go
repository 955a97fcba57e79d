// Package keyguard holds the rules for where an API key may be sent, which the wrapper client,
// contract.Check and the tci command share:
//
//   - never over plain http:// to a host that is not loopback, because anyone on the network
//     path could read the key (CheckURL);
//   - never to another origin after a redirect (StripOnRedirect);
//   - never into a message through the user information of a URL (RedactURL).
package keyguard

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// ErrInsecureHTTP is wrapped in the error of CheckURL. Packages wrapper and contract export
// this same value, so errors.Is matches their errors with either name.
var ErrInsecureHTTP = errors.New("sending the API key over plain HTTP is not allowed")

// CheckURL returns an error wrapping ErrInsecureHTTP when a key sent to u could be read on the
// network: u is neither https:// nor addressed to a loopback host. allow names what lets the
// caller send the key anyway, such as an option, and ends the message as the way out.
func CheckURL(u *url.URL, allow string) error {
	if strings.EqualFold(u.Scheme, "https") || IsLoopback(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("%w: %s is not a loopback host; use an https:// base URL, or %s to allow it",
		ErrInsecureHTTP, u.Host, allow)
}

// IsLoopback reports whether host is localhost or a loopback IP address (127.0.0.0/8 or ::1).
// A trailing dot and upper case are allowed in localhost. Names that only start with a
// loopback address, such as 127.0.0.1.example.com, are not loopback.
func IsLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// maxRedirects is the limit of net/http's default redirect policy, which StripOnRedirect
// applies when it wraps no policy of its own.
const maxRedirects = 10

// StripOnRedirect wraps an http.Client's CheckRedirect so that a redirect to another origin
// (scheme, host or port) never carries the Authorization header. net/http alone keeps the
// header for the same host on another scheme or port, and for subdomains. A nil next stands
// for net/http's default policy, which stops after 10 redirects.
func StripOnRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if !SameOrigin(req.URL, via[0].URL) {
			req.Header.Del("Authorization")
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		return nil
	}
}

// SameOrigin reports whether a and b have the same scheme, host and port, with the default
// port of the scheme for a URL that names none.
func SameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		portOf(a) == portOf(b)
}

func portOf(u *url.URL) string {
	if port := u.Port(); port != "" {
		return port
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// RedactURL returns rawURL for a message, with its user information, which may carry a
// password or a token, replaced by "xxxxx". A URL that does not parse gets the same treatment
// for whatever lies between "://" and the last "@".
func RedactURL(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		if u.User == nil {
			return rawURL
		}
		clean := *u
		clean.User = url.User("xxxxx")
		return clean.String()
	}
	scheme := strings.Index(rawURL, "://")
	at := strings.LastIndex(rawURL, "@")
	if scheme < 0 || at < scheme {
		return rawURL
	}
	return rawURL[:scheme+3] + "xxxxx" + rawURL[at:]
}

// URLProblem is the reason ParseServerURL rejected a URL.
type URLProblem struct {
	// SafeURL is the URL as given, with any user information replaced by RedactURL.
	SafeURL string
	// Reason is a phrase such as "the scheme must be http or https".
	Reason string
	// UserInfo is set when the URL carries user information, which may be a password or token.
	UserInfo bool
}

// ParseServerURL parses rawURL as the address of a server: an absolute http or https URL with a
// host and without user information, query or fragment. The problem it returns quotes the URL
// only through RedactURL, so that a password in the URL cannot reach a message.
func ParseServerURL(rawURL string) (*url.URL, *URLProblem) {
	safe := RedactURL(rawURL)
	u, err := url.Parse(rawURL)
	if err != nil {
		// The message of a *url.Error repeats the raw URL.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return nil, &URLProblem{SafeURL: safe, Reason: err.Error()}
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, &URLProblem{SafeURL: safe, Reason: "the scheme must be http or https"}
	case u.Host == "":
		return nil, &URLProblem{SafeURL: safe, Reason: "missing host"}
	case u.User != nil:
		return nil, &URLProblem{SafeURL: safe, Reason: "it contains user information", UserInfo: true}
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, &URLProblem{SafeURL: safe, Reason: "it has a query or fragment"}
	}
	return u, nil
}
