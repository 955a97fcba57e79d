package contract

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/tcikit/tci/validate"
)

// The parts of a HAR 1.2 file that ValidateHAR reads. Text fields are pointers so that a
// missing body differs from an empty one.
type (
	harFile struct {
		Log *struct {
			Entries *[]json.RawMessage `json:"entries"`
		} `json:"log"`
	}
	harEntry struct {
		Request  *harRequest  `json:"request"`
		Response *harResponse `json:"response"`
	}
	harRequest struct {
		Method   string       `json:"method"`
		URL      string       `json:"url"`
		Headers  []harHeader  `json:"headers"`
		PostData *harPostData `json:"postData"`
	}
	harPostData struct {
		MimeType string  `json:"mimeType"`
		Text     *string `json:"text"`
		// Encoding is not in HAR 1.2, but some tools write "base64" here as in content.
		Encoding string `json:"encoding"`
	}
	harResponse struct {
		Status  int         `json:"status"`
		Headers []harHeader `json:"headers"`
		Content *harContent `json:"content"`
	}
	harContent struct {
		Size     *int64  `json:"size"`
		MimeType string  `json:"mimeType"`
		Text     *string `json:"text"`
		Encoding string  `json:"encoding"`
	}
	harHeader struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
)

// ValidateHAR reads a HAR 1.2 capture from r and judges the request and the response of every
// entry whose request matches a spec operation under any base URL, so that
// "https://example.com/v1/tci/execute" matches POST /tci/execute. Other entries are counted as
// unmatched.
//
// A request without postData is judged as an empty body. A response whose content.text is
// missing is skipped unless content.size is 0, and so is a response with status 0, which
// browsers record for a request that got no response. Bodies with content.encoding "base64"
// are decoded first.
//
// ValidateHAR returns an error, and no report, when r cannot be read or is not a HAR file, or
// when an entry is malformed. The error names a malformed entry as log.entries[N].
func ValidateHAR(r io.Reader) (*ValidationReport, error) {
	validator, err := validate.Embedded()
	if err != nil {
		return nil, fmt.Errorf("load the spec validator: %w", err)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read HAR: %w", err)
	}
	var file harFile
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("parse HAR: %w; expected a HAR 1.2 JSON file", err)
	}
	if file.Log == nil || file.Log.Entries == nil {
		return nil, errors.New(`parse HAR: missing "log.entries"; expected a HAR 1.2 JSON file`)
	}

	j := harJudge{validator: validator, report: &ValidationReport{Entries: len(*file.Log.Entries)}}
	for i, raw := range *file.Log.Entries {
		if err := j.entry(i, raw); err != nil {
			return nil, fmt.Errorf("log.entries[%d]: %w", i, err)
		}
	}
	return j.report, nil
}

// harJudge judges the entries of one HAR file into report.
type harJudge struct {
	validator *validate.Validator
	report    *ValidationReport
}

// entry judges entry i and adds what it found to the report.
func (j harJudge) entry(i int, raw json.RawMessage) error {
	var entry harEntry
	if err := json.Unmarshal(raw, &entry); err != nil {
		return fmt.Errorf("invalid entry: %w", err)
	}
	if entry.Request == nil {
		return errors.New(`missing "request"`)
	}
	req := entry.Request
	if req.Method == "" || req.URL == "" {
		return errors.New(`missing "request.method" or "request.url"`)
	}
	u, err := url.Parse(req.URL)
	if err != nil {
		return fmt.Errorf("invalid request.url: %w", err)
	}
	op, err := j.validator.Route(strings.ToUpper(req.Method), u)
	if errors.Is(err, validate.ErrNoRoute) {
		j.report.Unmatched++
		return nil
	}
	if err != nil {
		return fmt.Errorf("route %s %s: %w", req.Method, req.URL, err)
	}
	if entry.Response == nil {
		return errors.New(`missing "response"`)
	}

	index := i
	request := message{
		entry:     &index,
		method:    req.Method,
		url:       req.URL,
		operation: op,
		direction: validate.Request,
	}
	if err := j.request(request, req); err != nil {
		return err
	}
	response := request
	response.direction = validate.Response
	response.status = entry.Response.Status
	return j.response(response, entry.Response)
}

func (j harJudge) request(m message, req *harRequest) error {
	header := harHeaders(req.Headers)
	var body []byte
	if req.PostData != nil {
		if header.Get("Content-Type") == "" && req.PostData.MimeType != "" {
			header.Set("Content-Type", req.PostData.MimeType)
		}
		decoded, err := harText(req.PostData.Text, req.PostData.Encoding)
		if err != nil {
			return fmt.Errorf("request.postData: %w", err)
		}
		body = decoded
	}
	return j.add(m, j.validator.Request(m.operation, header, body))
}

func (j harJudge) response(m message, res *harResponse) error {
	skip := func(reason string) error {
		j.report.Skipped = append(j.report.Skipped, Skipped{
			Entry: *m.entry, Method: m.method, URL: m.url,
			Operation: m.operation.ID, Direction: validate.Response, Reason: reason,
		})
		return nil
	}
	if res.Status == 0 {
		return skip("no response was received (status 0)")
	}
	if res.Status < 100 || res.Status > 599 {
		return fmt.Errorf("invalid response.status %d", res.Status)
	}
	content := res.Content
	if content == nil {
		return errors.New(`missing "response.content"`)
	}
	if reason := unjudgedStatus(j.validator, m.operation, res.Status); reason != "" {
		return skip(reason)
	}
	if content.Text == nil && (content.Size == nil || *content.Size != 0) {
		return skip("the capture has no response body (content.text is missing)")
	}

	header := harHeaders(res.Headers)
	if header.Get("Content-Type") == "" && content.MimeType != "" {
		header.Set("Content-Type", content.MimeType)
	}
	body, err := harText(content.Text, content.Encoding)
	if err != nil {
		return fmt.Errorf("response.content: %w", err)
	}
	return j.add(m, j.validator.Response(m.operation, m.status, header, body))
}

// add counts the message m as judged and adds the violations in judged.
func (j harJudge) add(m message, judged error) error {
	violations, err := m.violationsOf(judged)
	if err != nil {
		return fmt.Errorf("validate %s %s: %w", m.operation.ID, m.direction, err)
	}
	j.report.Judged++
	j.report.Violations = append(j.report.Violations, violations...)
	return nil
}

// harText returns the bytes of a HAR text field, decoding it when encoding is "base64". A
// missing text is an empty body.
func harText(text *string, encoding string) ([]byte, error) {
	if text == nil {
		return nil, nil
	}
	switch encoding {
	case "":
		return []byte(*text), nil
	case "base64":
		decoded, err := base64.StdEncoding.DecodeString(*text)
		if err != nil {
			return nil, fmt.Errorf("text is not valid base64: %w", err)
		}
		return decoded, nil
	default:
		return nil, fmt.Errorf(`unsupported encoding %q; HAR bodies are plain text or "base64"`, encoding)
	}
}

// harHeaders converts HAR headers to an http.Header, leaving out HTTP/2 pseudo-headers such
// as ":authority".
func harHeaders(headers []harHeader) http.Header {
	out := http.Header{}
	for _, h := range headers {
		if h.Name == "" || strings.HasPrefix(h.Name, ":") {
			continue
		}
		out.Add(h.Name, h.Value)
	}
	return out
}
