package validate

import (
	"errors"
	"net/url"
	"testing"
)

func TestRouteMatchesOperations(t *testing.T) {
	v, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method string
		url    string
		want   Operation
	}{
		{"POST", "/tci/execute", ExecuteCode},
		{"POST", "/v1/tci/execute", ExecuteCode},
		{"POST", "https://example.com/v1/tci/execute", ExecuteCode},
		{"POST", "http://127.0.0.1:8080/a/b/tci/execute", ExecuteCode},
		{"GET", "/tci/sessions", ListSessions},
		{"GET", "/v1/tci/sessions", ListSessions},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		got, err := v.Route(tt.method, u)
		if err != nil {
			t.Errorf("Route(%s %s): %v", tt.method, tt.url, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Route(%s %s) = %v, want %v", tt.method, tt.url, got, tt.want)
		}
	}
}

func TestRouteRejectsTrailingSlash(t *testing.T) {
	wantNoRoute(t, []routeCase{
		{"POST", "/tci/execute/"},
		{"POST", "/v1/tci/execute/"},
		{"POST", "http://127.0.0.1:8080/v1/tci/execute/"},
		{"POST", "/v1/tci/execute//"},
		{"GET", "/tci/sessions/"},
		{"GET", "/v1/tci/sessions/"},
	})
}

func TestRouteRejectsOtherPaths(t *testing.T) {
	wantNoRoute(t, []routeCase{
		{"GET", "/v1/tci/execute"},
		{"POST", "/v1/tci/sessions"},
		{"POST", "/"},
		{"POST", "/v1/tci/execute/extra"},
		{"POST", "/v1/TCI/execute"},
	})
}

type routeCase struct{ method, url string }

// wantNoRoute checks that Route finds no operation for any of cases.
func wantNoRoute(t *testing.T, cases []routeCase) {
	t.Helper()
	v, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range cases {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		op, err := v.Route(tt.method, u)
		if !errors.Is(err, ErrNoRoute) {
			t.Errorf("Route(%s %s) = %v, %v; want ErrNoRoute", tt.method, tt.url, op, err)
		}
	}
}
