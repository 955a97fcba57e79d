package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestAuthToken(t *testing.T) {
	t.Parallel()
	ts := startServer(t, WithToken("s3cret-token"))
	tests := []struct {
		name      string
		header    string
		challenge string // WWW-Authenticate; "" when the request is accepted
	}{
		{"missing", "", `Bearer realm="tci"`},
		{"other scheme", "Basic czNjcmV0LXRva2Vu", `Bearer realm="tci"`},
		{"empty bearer", "Bearer ", `Bearer realm="tci"`},
		{"wrong token", "Bearer s3cret-tokeN", `Bearer realm="tci", error="invalid_token"`},
		{"token prefix", "Bearer s3cret", `Bearer realm="tci", error="invalid_token"`},
		{"valid", "Bearer s3cret-token", ""},
		{"valid lower-case scheme", "bearer s3cret-token", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var header http.Header
			if tc.header != "" {
				header = http.Header{"Authorization": {tc.header}}
			}
			for _, op := range []struct{ method, path string }{
				{http.MethodGet, "/tci/sessions"},
				{http.MethodPost, "/tci/execute"},
			} {
				var body []byte
				if op.method == http.MethodPost {
					body = executeBody("", "1")
				}
				resp := ts.do(t, op.method, op.path, header, body)
				if tc.challenge == "" {
					if resp.status != http.StatusOK {
						t.Errorf("%s %s: status %d, want 200; body %s", op.method, op.path, resp.status, resp.body)
					}
					continue
				}
				errs := decodeFailure(t, resp, http.StatusUnauthorized)
				if errs[0]["code"] != "unauthorized" {
					t.Errorf("%s %s: code = %v, want unauthorized", op.method, op.path, errs[0]["code"])
				}
				if got := resp.header.Get("WWW-Authenticate"); got != tc.challenge {
					t.Errorf("%s %s: WWW-Authenticate = %q, want %q", op.method, op.path, got, tc.challenge)
				}
				if bytes.Contains(resp.body, []byte("s3cret")) {
					t.Errorf("%s %s: response reveals the token: %s", op.method, op.path, resp.body)
				}
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	ts := startServer(t, WithMaxBodyBytes(1024))
	resp := ts.do(t, http.MethodPost, "/tci/execute", nil, executeBody("", "# "+strings.Repeat("x", 2000)))
	errs := decodeFailure(t, resp, http.StatusRequestEntityTooLarge)
	if msg := errs[0]["message"].(string); !strings.Contains(msg, "1024 bytes") {
		t.Errorf("message = %q, want the limit", msg)
	}
	// A body under the limit is accepted.
	ts.execute(t, "", "# "+strings.Repeat("x", 900))
}

func TestRequestValidation(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	tests := []struct {
		name     string
		body     string
		pointers []string // pointers that the violations must include
	}{
		{"missing code", `{"language": "python"}`, nil},
		{"code not a string", `{"code": 1, "language": "python"}`, []string{"/code"}},
		{"bad encoding", `{"code": "1", "files": [{"name": "a", "encoding": "hex", "content": "00"}]}`,
			[]string{"/files/0/encoding"}},
		{"bad language", `{"code": "1", "language": "ruby"}`, []string{"/language"}},
		{"two violations", `{"code": 1, "language": "ruby"}`, []string{"/code", "/language"}},
		{"not json", `{"code": `, nil},
		{"repeated code without language", `{"code": "print(1)", "code": "print(2)"}`, []string{""}},
		{"case-folded code without language", `{"code": "print(1)", "Code": "print(2)"}`, []string{""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := ts.do(t, http.MethodPost, "/tci/execute", nil, []byte(tc.body))
			errs := decodeFailure(t, resp, http.StatusBadRequest)
			if errs[0]["code"] != "invalid_request" {
				t.Errorf("code = %v, want invalid_request", errs[0]["code"])
			}
			if len(errs) < 2 {
				t.Errorf("errors = %v, want a summary and at least one violation", errs)
			}
			got := map[string]bool{}
			for _, e := range errs[1:] {
				pointer, _ := e["pointer"].(string)
				got[pointer] = true
			}
			for _, pointer := range tc.pointers {
				if !got[pointer] {
					t.Errorf("violations %v lack pointer %s", errs[1:], pointer)
				}
			}
		})
	}
	if sessions := ts.listSessions(t); len(sessions) != 0 {
		t.Errorf("invalid requests started sessions: %v", sessions)
	}
}

func TestMissingCodeViolation(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	resp := ts.do(t, http.MethodPost, "/tci/execute", nil, []byte(`{"language": "python"}`))
	errs := decodeFailure(t, resp, http.StatusBadRequest)
	var found bool
	for _, e := range errs[1:] {
		if strings.Contains(e["message"].(string), "code") {
			found = true
		}
	}
	if !found {
		t.Errorf("violations %v do not mention the missing code", errs[1:])
	}
}

func TestMissingLanguageMeansPython(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	resp := ts.do(t, http.MethodPost, "/tci/execute", nil, []byte(`{"code": "print('default')"}`))
	if resp.status != http.StatusOK {
		t.Fatalf("status %d, body %s; want 200", resp.status, resp.body)
	}
	_, outputs := decodeSuccess(t, resp.body)
	wantOutputs(t, outputs, out{Type: "stdout", Text: "default\n"})
}

func TestMissingLanguageEmptyObject(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	resp := ts.do(t, http.MethodPost, "/tci/execute", nil, []byte(` { } `))
	errs := decodeFailure(t, resp, http.StatusBadRequest)
	if len(errs) != 2 || !strings.Contains(errs[1]["message"].(string), `missing required property "code"`) {
		t.Errorf("errors = %v, want one violation for the missing code", errs)
	}
}

func TestEmptyBody(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	resp := ts.do(t, http.MethodPost, "/tci/execute", nil, nil)
	errs := decodeFailure(t, resp, http.StatusBadRequest)
	if msg := errs[0]["message"].(string); !strings.Contains(msg, "request body is missing") {
		t.Errorf("message = %q, want it to say the body is missing", msg)
	}
}

func TestNullBodyRejected(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	for _, body := range []string{"null", " null\n"} {
		resp := ts.do(t, http.MethodPost, "/tci/execute", nil, []byte(body))
		errs := decodeFailure(t, resp, http.StatusBadRequest)
		if errs[0]["code"] != "invalid_request" {
			t.Errorf("body %q: code = %v, want invalid_request", body, errs[0]["code"])
		}
		if msg := errs[0]["message"].(string); !strings.Contains(msg, "null") {
			t.Errorf("body %q: message = %q, want it to name the null body", body, msg)
		}
	}
	if sessions := ts.listSessions(t); len(sessions) != 0 {
		t.Errorf("null bodies started sessions: %v", sessions)
	}
}

func TestUnknownPath(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	resp := ts.do(t, http.MethodGet, "/tci/nothing", nil, nil)
	if errs := decodeFailure(t, resp, http.StatusNotFound); errs[0]["code"] != "not_found" {
		t.Errorf("code = %v, want not_found", errs[0]["code"])
	}

	resp = ts.do(t, http.MethodGet, "/tci/execute", nil, nil)
	if errs := decodeFailure(t, resp, http.StatusMethodNotAllowed); errs[0]["code"] != "method_not_allowed" {
		t.Errorf("code = %v, want method_not_allowed", errs[0]["code"])
	}
	if got := resp.header.Get("Allow"); got != http.MethodPost {
		t.Errorf("Allow = %q, want POST", got)
	}

	// Outside BasePath nothing is served either.
	root := &testServer{url: strings.TrimSuffix(ts.url, BasePath)}
	resp = root.do(t, http.MethodPost, "/tci/execute", nil, executeBody("", "1"))
	decodeFailure(t, resp, http.StatusNotFound)
}

func TestUnknownPathLongMessageCut(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	resp := ts.do(t, http.MethodGet, "/tci/"+strings.Repeat("x", 50_000), nil, nil)
	errs := decodeFailure(t, resp, http.StatusNotFound)
	if msg := errs[0]["message"].(string); len(msg) > 400 {
		t.Errorf("message has %d bytes, want at most 400: %.200s...", len(msg), msg)
	}
}

func TestLogsOmitSecrets(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := startServer(t, WithToken("token-in-no-log"), WithLogger(logger))
	ts.token = "token-in-no-log"
	id, _ := ts.execute(t, "", "print('body-in-no-log')")
	ts.do(t, http.MethodGet, "/tci/sessions", http.Header{"Authorization": {"Bearer wrong-token-in-no-log"}}, nil)
	if err := ts.srv.Close(); err != nil {
		t.Fatal(err)
	}

	text := logs.String()
	for _, secret := range []string{"token-in-no-log", "body-in-no-log"} {
		if strings.Contains(text, secret) {
			t.Errorf("logs contain %q:\n%s", secret, text)
		}
	}
	for _, record := range []string{`"msg":"session started"`, `"msg":"session stopped"`,
		`"msg":"request rejected: authentication failed"`, `"session":"` + id + `"`} {
		if !strings.Contains(text, record) {
			t.Errorf("logs lack %s:\n%s", record, text)
		}
	}
}

// syncBuffer is a bytes.Buffer that is safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
