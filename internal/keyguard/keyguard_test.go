package keyguard

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url     string
		refused bool
	}{
		{"http://example.com/v1", true},
		{"http://10.0.0.1:8080", true},
		{"http://127.0.0.1.example.com", true},
		{"http://[::2]:8080", true},
		{"https://example.com/v1", false},
		{"HTTPS://example.com", false},
		{"http://127.0.0.1:8080/v1", false},
		{"http://127.200.0.9", false},
		{"http://[::1]:8080", false},
		{"http://localhost:8080", false},
		{"http://LocalHost.", false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		err = CheckURL(u, "AllowIt")
		if refused := errors.Is(err, ErrInsecureHTTP); refused != tt.refused {
			t.Errorf("CheckURL(%s) = %v, want refused %v", tt.url, err, tt.refused)
		}
		if tt.refused && !strings.Contains(err.Error(), "or AllowIt to allow it") {
			t.Errorf("CheckURL(%s) = %q, want the way out named", tt.url, err)
		}
		if tt.refused && !strings.Contains(err.Error(), u.Host+" is not a loopback host") {
			t.Errorf("CheckURL(%s) = %q, want the host named", tt.url, err)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"http://example.com/a", "http://EXAMPLE.com:80/b", true},
		{"https://example.com", "https://example.com:443/x", true},
		{"https://example.com", "http://example.com", false},
		{"http://example.com", "http://example.com:8080", false},
		{"http://example.com", "http://api.example.com", false},
	}
	for _, tt := range tests {
		a, _ := url.Parse(tt.a)
		b, _ := url.Parse(tt.b)
		if got := SameOrigin(a, b); got != tt.same {
			t.Errorf("SameOrigin(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
}

func TestStripOnRedirect(t *testing.T) {
	redirect := func(from, to string) (*http.Request, []*http.Request) {
		first, _ := http.NewRequest(http.MethodGet, from, nil)
		next, _ := http.NewRequest(http.MethodGet, to, nil)
		next.Header.Set("Authorization", "Bearer key")
		return next, []*http.Request{first}
	}
	check := StripOnRedirect(nil)

	req, via := redirect("https://example.com/a", "https://example.com/b")
	if err := check(req, via); err != nil || req.Header.Get("Authorization") == "" {
		t.Errorf("same origin: err %v, Authorization %q; want the header kept", err, req.Header.Get("Authorization"))
	}
	req, via = redirect("https://example.com/a", "http://example.com/b")
	if err := check(req, via); err != nil || req.Header.Get("Authorization") != "" {
		t.Errorf("downgrade to http: err %v, Authorization %q; want it removed", err, req.Header.Get("Authorization"))
	}

	req, via = redirect("https://example.com/a", "https://example.com/b")
	for len(via) < maxRedirects {
		via = append(via, via[0])
	}
	if err := check(req, via); err == nil {
		t.Errorf("redirect %d was allowed, want the default limit of %d", len(via)+1, maxRedirects)
	}

	called := false
	policy := func(*http.Request, []*http.Request) error { called = true; return http.ErrUseLastResponse }
	req, via = redirect("https://example.com/a", "https://other.example/b")
	if err := StripOnRedirect(policy)(req, via); err != http.ErrUseLastResponse || !called {
		t.Errorf("own policy: err %v, called %v; want its result", err, called)
	}
	if req.Header.Get("Authorization") != "" {
		t.Error("own policy: Authorization kept on a redirect to another host")
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"},
		{"http://user:hunter2@127.0.0.1/v1", "http://xxxxx@127.0.0.1/v1"},
		{"https://tok3n@example.com", "https://xxxxx@example.com"},
		{"http://user:hunter2@[::1/v1", "http://xxxxx@[::1/v1"},
		{"http://us er:hunter2@h\x7f/v1", "http://xxxxx@h\x7f/v1"},
		{"127.0.0.1:8080", "127.0.0.1:8080"},
		{"no scheme @ all", "no scheme @ all"},
	}
	for _, tt := range tests {
		got := RedactURL(tt.raw)
		if got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.raw, got, tt.want)
		}
		if strings.Contains(got, "hunter2") || strings.Contains(got, "tok3n") {
			t.Errorf("RedactURL(%q) = %q shows the credentials", tt.raw, got)
		}
	}
}

func TestParseServerURL(t *testing.T) {
	tests := []struct {
		raw      string
		reason   string // "" when the URL is accepted
		safe     string
		userInfo bool
	}{
		{raw: "http://127.0.0.1:8080/v1"},
		{raw: "https://example.com"},
		{raw: "ftp://example.com", reason: "the scheme must be http or https", safe: "ftp://example.com"},
		{raw: "example.com/v1", reason: "the scheme must be http or https", safe: "example.com/v1"},
		{raw: "http://", reason: "missing host", safe: "http://"},
		{raw: "http://u:hunter2@example.com", reason: "it contains user information",
			safe: "http://xxxxx@example.com", userInfo: true},
		{raw: "http://example.com/?a=b", reason: "it has a query or fragment", safe: "http://example.com/?a=b"},
		{raw: "http://example.com/#top", reason: "it has a query or fragment", safe: "http://example.com/#top"},
		{raw: "http://u:hunter2@exa mple.com", reason: "invalid character", safe: "http://xxxxx@exa mple.com"},
	}
	for _, tt := range tests {
		u, problem := ParseServerURL(tt.raw)
		if tt.reason == "" {
			if problem != nil || u == nil {
				t.Errorf("ParseServerURL(%q) = %v, %+v; want it accepted", tt.raw, u, problem)
			}
			continue
		}
		if problem == nil {
			t.Errorf("ParseServerURL(%q) accepted it, want %q", tt.raw, tt.reason)
			continue
		}
		if !strings.Contains(problem.Reason, tt.reason) {
			t.Errorf("ParseServerURL(%q) reason = %q, want it to contain %q", tt.raw, problem.Reason, tt.reason)
		}
		if problem.SafeURL != tt.safe {
			t.Errorf("ParseServerURL(%q) SafeURL = %q, want %q", tt.raw, problem.SafeURL, tt.safe)
		}
		if problem.UserInfo != tt.userInfo {
			t.Errorf("ParseServerURL(%q) UserInfo = %v, want %v", tt.raw, problem.UserInfo, tt.userInfo)
		}
		if strings.Contains(problem.Reason+problem.SafeURL, "hunter2") {
			t.Errorf("ParseServerURL(%q) leaks the password", tt.raw)
		}
	}
}
