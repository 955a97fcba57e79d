package validate

import (
	"errors"
	"net/http"
	"testing"
)

// responseCorpus returns the hand-written response bodies and the mutations of valid ones.
func responseCorpus(tb testing.TB) []corpusCase {
	tb.Helper()
	corpus := handWritten()
	sessionsImplied := map[string]bool{"/data": true}
	corpus = append(corpus, mutations(tb, "sessions", ListSessions,
		`{"data":{"sessions":[`+validSession+`]},"errors":["quota",{"code":429}]}`, sessionsImplied)...)
	for name, seed := range map[string]string{
		"stdout":  success(stdoutOutput),
		"error":   success(errorOutput),
		"display": success(displayOutput),
		"result":  success(resultOutput),
		"failed":  `{"data":null,"errors":["boom",{"code":"E1"}]}`,
	} {
		corpus = append(corpus, mutations(tb, "execute "+name, ExecuteCode, seed, nil)...)
	}
	return corpus
}

// requestCorpus returns request bodies: hand-written ones and mutations of a valid one.
func requestCorpus(tb testing.TB) []corpusCase {
	tb.Helper()
	r := func(name, body string) corpusCase { return corpusCase{name: name, op: ExecuteCode, body: []byte(body)} }
	differ := func(c corpusCase, difference string) corpusCase { c.differs = difference; return c }
	corpus := []corpusCase{
		r("request minimal", `{"code":"print(1)","language":"python"}`),
		r("request empty body", ``),
		r("request null", `null`),
		r("request missing language", `{"code":"print(1)"}`),
		r("request missing code", `{"language":"python"}`),
		r("request language null", `{"code":"x","language":null}`),
		r("request language ruby", `{"code":"x","language":"ruby"}`),
		r("request language uppercase", `{"code":"x","language":"Python"}`),
		r("request session id", `{"code":"x","language":"python","session_id":"ses_1"}`),
		r("request session id null", `{"code":"x","language":"python","session_id":null}`),
		r("request files", `{"code":"x","language":"python","files":[{"name":"a.txt","encoding":"string","content":"hi"}]}`),
		r("request files base64", `{"code":"x","language":"python","files":[{"name":"a.bin","encoding":"base64","content":"AAE="}]}`),
		r("request files bad encoding", `{"code":"x","language":"python","files":[{"name":"a","encoding":"utf8","content":"x"}]}`),
		r("request files missing content", `{"code":"x","language":"python","files":[{"name":"a","encoding":"string"}]}`),
		r("request files not array", `{"code":"x","language":"python","files":{}}`),
		r("request extra field", `{"code":"x","language":"python","timeout":30}`),
		differ(r("request number", `5`), differsImpliedType),
		differ(r("request string", `"print(1)"`), differsImpliedType),
		differ(r("request array", `[]`), differsImpliedType),
		differ(r("request trailing data", `{"code":"x","language":"python"} {}`), differsTrailing),
		differ(r("request duplicate code", `{"code":"x","code":"y","language":"python"}`), differsDuplicate),
		differ(r("request case-folded code", `{"code":"x","Code":5,"language":"python"}`), differsFolded),
		differ(r("request case-folded code replacing valid code", `{"code":"print(1)","Code":"print(2)","language":"python"}`), differsFolded),
	}
	seed := `{"code":"print(1)","language":"python","session_id":"ses_1",` +
		`"files":[{"name":"a.txt","encoding":"string","content":"hi"}]}`
	corpus = append(corpus, mutations(tb, "request", ExecuteCode, seed, map[string]bool{"": true})...)
	return corpus
}

func TestResponseAgreesWithReference(t *testing.T) {
	v := mustEmbedded(t)
	corpus := responseCorpus(t)
	if len(corpus) < 200 {
		t.Fatalf("corpus has %d bodies, want at least 200", len(corpus))
	}
	decoders := map[Operation]func([]byte) error{ListSessions: decodeSessions, ExecuteCode: decodeExecute}
	valid, invalid := 0, 0
	for _, c := range corpus {
		fast := v.Response(c.op, http.StatusOK, jsonHeader, c.body)
		reference := v.ReferenceResponse(c.op, http.StatusOK, jsonHeader, c.body)
		checkVerdicts(t, c, fast, reference)
		checkViolations(t, c, fast)
		if fast == nil {
			valid++
			if err := decoders[c.op](c.body); err != nil {
				t.Errorf("%s: valid body does not decode: %v\nbody: %s", c.name, err, c.body)
			}
		} else {
			invalid++
		}
	}
	t.Logf("%d response bodies: %d valid, %d invalid", len(corpus), valid, invalid)
}

func TestRequestAgreesWithReference(t *testing.T) {
	v := mustEmbedded(t)
	corpus := requestCorpus(t)
	if len(corpus) < 100 {
		t.Fatalf("corpus has %d bodies, want at least 100", len(corpus))
	}
	for _, c := range corpus {
		fast := v.Request(c.op, jsonHeader, c.body)
		reference := v.ReferenceRequest(c.op, jsonHeader, c.body)
		checkVerdicts(t, c, fast, reference)
		checkViolations(t, c, fast)
		if fast == nil {
			if err := decodeRequest(c.body); err != nil {
				t.Errorf("%s: valid body does not decode: %v\nbody: %s", c.name, err, c.body)
			}
		}
	}
}

func checkVerdicts(t *testing.T, c corpusCase, fast, reference error) {
	t.Helper()
	if c.differs != "" {
		if fast == nil {
			t.Errorf("%s (%s): fast path accepts the body, want a violation\nbody: %s", c.name, c.differs, c.body)
		}
		if reference != nil {
			t.Errorf("%s (%s): reference rejects the body, so it is no known difference: %v", c.name, c.differs, reference)
		}
		return
	}
	if (fast == nil) != (reference == nil) {
		t.Errorf("%s: verdicts differ\nfast:      %v\nreference: %v\nbody: %s", c.name, fast, reference, c.body)
	}
}

// checkViolations checks that an error is an *Error whose violations point into the body.
func checkViolations(t *testing.T, c corpusCase, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var verr *Error
	if !errors.As(err, &verr) {
		t.Errorf("%s: error is %T, want *Error: %v", c.name, err, err)
		return
	}
	if len(verr.Violations) == 0 {
		t.Errorf("%s: *Error has no violations", c.name)
	}
	body, decodable := tryDecodeAny(c.body)
	for _, violation := range verr.Violations {
		if violation.Reason == "" {
			t.Errorf("%s: violation at %q has no reason", c.name, violation.Pointer)
		}
		if decodable && !resolve(body, violation.Pointer) {
			t.Errorf("%s: pointer %q names no value of the body %s", c.name, violation.Pointer, c.body)
		}
	}
}
