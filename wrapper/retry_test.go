package wrapper

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"
)

func TestShouldRetry(t *testing.T) {
	dialErr := &url.Error{Op: "Post", URL: "http://127.0.0.1:1/tci/execute",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	dnsErr := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "x.invalid"}}
	resetErr := &url.Error{Op: "Post", URL: "http://127.0.0.1:1/tci/execute",
		Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}
	eofErr := &url.Error{Op: "Get", URL: "http://127.0.0.1:1/tci/sessions", Err: io.ErrUnexpectedEOF}
	timeoutErr := &url.Error{Op: "Post", URL: "http://127.0.0.1:1/tci/execute", Err: context.DeadlineExceeded}
	certErr := &url.Error{Op: "Get", URL: "https://127.0.0.1:1/tci/sessions",
		Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}
	hint := http.Header{"Retry-After": {"1"}}
	hintMs := http.Header{"Retry-After-Ms": {"100"}}
	should := func(v string) http.Header { return http.Header{"X-Should-Retry": {v}} }

	tests := []struct {
		name string
		in   retryInput
		want bool
	}{
		{"GET dial error", retryInput{method: "GET", err: dialErr}, true},
		{"GET reset after connecting", retryInput{method: "GET", err: resetErr, connected: true}, true},
		{"GET body cut short", retryInput{method: "GET", status: 200, err: eofErr, connected: true}, true},
		{"GET attempt timeout", retryInput{method: "GET", err: timeoutErr, connected: true}, true},
		{"GET canceled", retryInput{method: "GET", err: context.Canceled, connected: true}, false},
		{"GET middleware error", retryInput{method: "GET", err: errors.New("signing failed")}, false},
		{"GET certificate error", retryInput{method: "GET", err: certErr}, false},
		{"GET 408", retryInput{method: "GET", status: 408}, true},
		{"GET 409", retryInput{method: "GET", status: 409}, true},
		{"GET 429", retryInput{method: "GET", status: 429}, true},
		{"GET 500", retryInput{method: "GET", status: 500}, true},
		{"GET 502", retryInput{method: "GET", status: 502}, true},
		{"GET 503", retryInput{method: "GET", status: 503}, true},
		{"GET 504", retryInput{method: "GET", status: 504}, true},
		{"GET 400", retryInput{method: "GET", status: 400}, false},
		{"GET 401", retryInput{method: "GET", status: 401}, false},
		{"GET 404", retryInput{method: "GET", status: 404}, false},
		{"GET 200", retryInput{method: "GET", status: 200}, false},
		{"GET 503 with x-should-retry false", retryInput{method: "GET", status: 503, header: should("false")}, false},
		{"GET 400 with x-should-retry true", retryInput{method: "GET", status: 400, header: should("true")}, true},
		{"POST dial error", retryInput{method: "POST", err: dialErr}, true},
		{"POST DNS error", retryInput{method: "POST", err: dnsErr}, true},
		{"POST dial error yet connected", retryInput{method: "POST", err: dialErr, connected: true}, false},
		{"POST reset after connecting", retryInput{method: "POST", err: resetErr, connected: true}, false},
		{"POST reset without trace", retryInput{method: "POST", err: resetErr}, false},
		{"POST timeout after connecting", retryInput{method: "POST", err: timeoutErr, connected: true}, false},
		{"POST timeout without trace", retryInput{method: "POST", err: timeoutErr}, false},
		{"POST body cut short", retryInput{method: "POST", status: 200, err: eofErr, connected: true}, false},
		{"POST canceled", retryInput{method: "POST", err: context.Canceled}, false},
		{"POST 429", retryInput{method: "POST", status: 429}, true},
		{"POST 503 with Retry-After", retryInput{method: "POST", status: 503, header: hint}, true},
		{"POST 503 with Retry-After-Ms", retryInput{method: "POST", status: 503, header: hintMs}, true},
		{"POST 503", retryInput{method: "POST", status: 503}, false},
		{"POST 500", retryInput{method: "POST", status: 500}, false},
		{"POST 500 with Retry-After", retryInput{method: "POST", status: 500, header: hint}, false},
		{"POST 502", retryInput{method: "POST", status: 502}, false},
		{"POST 504", retryInput{method: "POST", status: 504}, false},
		{"POST 408", retryInput{method: "POST", status: 408}, false},
		{"POST 409", retryInput{method: "POST", status: 409}, false},
		{"POST 500 with x-should-retry true", retryInput{method: "POST", status: 500, header: should("true")}, true},
		{"POST 429 with x-should-retry False", retryInput{method: "POST", status: 429, header: should("False")}, false},
		{"POST 200 with x-should-retry true", retryInput{method: "POST", status: 200, header: should("true")}, false},
		{"POST 503 with unknown hint value", retryInput{method: "POST", status: 503, header: should("maybe")}, false},
		{"PUT 500", retryInput{method: "PUT", status: 500}, true},
		{"PATCH 500", retryInput{method: "PATCH", status: 500}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := shouldRetry(tt.in)
			if got != tt.want {
				t.Errorf("shouldRetry = %v (%s), want %v", got, reason, tt.want)
			}
			if reason == "" {
				t.Error("reason is empty")
			}
		})
	}
}

func TestServerWait(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
		ok     bool
	}{
		{"none", http.Header{}, 0, false},
		{"milliseconds", http.Header{"Retry-After-Ms": {"150"}}, 150 * time.Millisecond, true},
		{"fractional milliseconds", http.Header{"Retry-After-Ms": {"1.5"}}, 1500 * time.Microsecond, true},
		{"milliseconds over the cap", http.Header{"Retry-After-Ms": {"600000"}}, time.Minute, true},
		{"milliseconds infinite", http.Header{"Retry-After-Ms": {"+Inf"}}, time.Minute, true},
		{"milliseconds NaN", http.Header{"Retry-After-Ms": {"NaN"}}, 0, false},
		{"milliseconds negative", http.Header{"Retry-After-Ms": {"-5"}}, 0, false},
		{"milliseconds win", http.Header{"Retry-After-Ms": {"20"}, "Retry-After": {"9"}}, 20 * time.Millisecond, true},
		{"bad milliseconds fall back", http.Header{"Retry-After-Ms": {"soon"}, "Retry-After": {"3"}}, 3 * time.Second, true},
		{"seconds", http.Header{"Retry-After": {"2"}}, 2 * time.Second, true},
		{"zero seconds", http.Header{"Retry-After": {"0"}}, 0, true},
		{"seconds over the cap", http.Header{"Retry-After": {"3600"}}, time.Minute, true},
		{"negative seconds", http.Header{"Retry-After": {"-1"}}, 0, false},
		{"HTTP date", http.Header{"Retry-After": {now.Add(10 * time.Second).Format(http.TimeFormat)}}, 10 * time.Second, true},
		{"HTTP date past", http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}, 0, true},
		{"HTTP date far", http.Header{"Retry-After": {now.Add(time.Hour).Format(http.TimeFormat)}}, time.Minute, true},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := serverWait(tt.header, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("serverWait = %v, %v, want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		retry  int
		random float64
		want   time.Duration
	}{
		{1, 0, 500 * time.Millisecond},
		{2, 0, time.Second},
		{3, 0, 2 * time.Second},
		{4, 0, 4 * time.Second},
		{5, 0, 8 * time.Second},
		{6, 0, 8 * time.Second},
		{100, 0, 8 * time.Second},
		{1, 0.5, 437500 * time.Microsecond},
		{5, 0.999999, 6000002 * time.Microsecond},
	}
	for _, tt := range tests {
		if got := backoff(tt.retry, tt.random); got != tt.want {
			t.Errorf("backoff(%d, %v) = %v, want %v", tt.retry, tt.random, got, tt.want)
		}
	}
}

func TestSleepContext(t *testing.T) {
	if err := sleepContext(context.Background(), time.Millisecond); err != nil {
		t.Errorf("sleepContext = %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := sleepContext(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleepContext = %v, want context.Canceled", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("sleepContext took %v after cancellation", elapsed)
	}
}
