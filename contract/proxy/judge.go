package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/tcikit/tci/validate"
)

// judgeRequest buffers and validates the body of a spec operation's request and restores it
// for forwarding. It returns false when it has written the response itself, which happens in
// enforce mode for a violating or oversized request and in both modes for an unreadable body.
func (p *Proxy) judgeRequest(w http.ResponseWriter, r *http.Request, ex *exchange) bool {
	body, complete, err := readCapped(r.Body, p.config.maxBody)
	if err != nil {
		p.config.logger.Error("read request body", p.attrs(ex, "request", 0, slog.Any("error", err))...)
		writeSpecError(w, http.StatusBadRequest, 0, []specError{{
			Message: "the proxy could not read the request body: " + err.Error(),
		}})
		return false
	}
	if !complete {
		return p.passOversizedRequest(w, r, ex, body)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))

	violations := p.violations(p.validator.Request(ex.operation, r.Header, body))
	ex.requestViolations = len(violations)
	p.logViolations(ex, validate.Request, 0, violations)
	if len(violations) > 0 && p.config.mode == ModeEnforce {
		writeSpecError(w, http.StatusBadRequest, len(violations), specErrors(validate.Request, violations))
		p.logExchange(ex, http.StatusBadRequest, len(violations))
		return false
	}
	return true
}

// passOversizedRequest handles a request body above the cap: enforce mode rejects it with 413
// and report mode forwards it, the buffered start and the unread rest, without validation.
func (p *Proxy) passOversizedRequest(
	w http.ResponseWriter, r *http.Request, ex *exchange, start []byte,
) bool {
	reason := fmt.Sprintf("request body exceeds %d bytes", p.config.maxBody)
	attrs := p.attrs(ex, "request", 0, slog.String("reason", reason))
	if p.config.mode == ModeEnforce {
		p.config.logger.Warn("request rejected without validation", attrs...)
		writeSpecError(w, http.StatusRequestEntityTooLarge, 0, []specError{{
			Message: reason + ", the largest body the proxy validates; raise the proxy's maximum body size",
		}})
		return false
	}
	p.config.logger.Warn("request forwarded without validation", attrs...)
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(start), r.Body), r.Body}
	ex.requestUnjudged = true
	return true
}

// modifyResponse validates the response of a spec operation and sets ViolationsHeader. In
// enforce mode it replaces a violating or oversized response with a 502. Responses of other
// paths are left alone.
func (p *Proxy) modifyResponse(res *http.Response) error {
	ex, ok := res.Request.Context().Value(exchangeKey{}).(*exchange)
	if !ok {
		return nil
	}
	body, complete, err := readCapped(res.Body, p.config.maxBody)
	if err != nil {
		res.Body.Close()
		return fmt.Errorf("read upstream response body: %w", err)
	}
	if !complete {
		return p.passOversizedResponse(res, ex, body)
	}
	res.Body.Close()
	setBody(res, body)

	violations := p.violations(p.validator.Response(ex.operation, res.StatusCode, res.Header, body))
	p.logViolations(ex, validate.Response, res.StatusCode, violations)
	count := ex.requestViolations + len(violations)
	p.logExchange(ex, res.StatusCode, count)
	if len(violations) > 0 && p.config.mode == ModeEnforce {
		replaceWithSpecError(res, count, specErrors(validate.Response, violations))
		return nil
	}
	writeCount(res.Header, count)
	return nil
}

// passOversizedResponse handles a response body above the cap: enforce mode replaces the
// response with a 502 and report mode forwards it, the buffered start and the unread rest,
// without validation.
func (p *Proxy) passOversizedResponse(res *http.Response, ex *exchange, start []byte) error {
	reason := fmt.Sprintf("response body exceeds %d bytes", p.config.maxBody)
	if p.config.mode == ModeEnforce {
		res.Body.Close()
		p.config.logger.Warn("response replaced without validation",
			p.attrs(ex, "response", res.StatusCode, slog.String("reason", reason))...)
		replaceWithSpecError(res, ex.requestViolations, []specError{{
			Message: reason + ", the largest body the proxy validates; raise the proxy's maximum body size",
		}})
		return nil
	}
	p.config.logger.Warn("response forwarded without validation",
		p.attrs(ex, "response", res.StatusCode, slog.String("reason", reason))...)
	res.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(start), res.Body), res.Body}
	writeCount(res.Header, ex.requestViolations)
	return nil
}

// handleUpstreamError responds with 502 when the upstream cannot be reached or its response cannot
// be read. Spec operations get a spec-shaped body.
func (p *Proxy) handleUpstreamError(w http.ResponseWriter, r *http.Request, err error) {
	ex, ok := r.Context().Value(exchangeKey{}).(*exchange)
	if !ok {
		p.config.logger.Error("upstream request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	p.config.logger.Error("upstream request failed", p.attrs(ex, "response", 0, slog.Any("error", err))...)
	writeSpecError(w, http.StatusBadGateway, ex.requestViolations, []specError{{
		Message: "the proxy could not get a response from the upstream server: " + err.Error(),
	}})
}

// violations extracts the violations from the error of validate.Request or validate.Response.
// Any other error means the validator could not judge the message and is reported as one
// violation of the whole message, so that it is never silently dropped.
func (p *Proxy) violations(err error) []validate.Violation {
	if err == nil {
		return nil
	}
	var invalid *validate.Error
	if errors.As(err, &invalid) {
		return invalid.Violations
	}
	return []validate.Violation{{Reason: "not validated: " + err.Error()}}
}

func (p *Proxy) logViolations(
	ex *exchange, direction validate.Direction, status int, violations []validate.Violation,
) {
	for _, v := range violations {
		p.config.logger.Warn("contract violation", p.attrs(ex, string(direction), status,
			slog.String("pointer", v.Pointer), slog.String("reason", v.Reason))...)
	}
}

func (p *Proxy) logExchange(ex *exchange, status, violations int) {
	p.config.logger.Debug("exchange judged", p.attrs(ex, "", status,
		slog.Int("violations", violations),
		slog.Bool("request_unjudged", ex.requestUnjudged),
		slog.Duration("duration", time.Since(ex.started)))...)
}

// attrs returns the log attributes that identify an exchange, followed by extra. Headers are
// never among them.
func (p *Proxy) attrs(ex *exchange, direction string, status int, extra ...slog.Attr) []any {
	out := []any{
		slog.String("mode", string(p.config.mode)),
		slog.String("method", ex.method),
		slog.String("path", ex.path),
		slog.String("operation", ex.operation.ID),
	}
	if direction != "" {
		out = append(out, slog.String("direction", direction))
	}
	if status != 0 {
		out = append(out, slog.Int("status", status))
	}
	for _, a := range extra {
		out = append(out, a)
	}
	return out
}

// readCapped reads up to limit bytes of body. complete is false when body has more, in which
// case the returned bytes are the start of the body and body is still open at the rest.
func readCapped(body io.Reader, limit int64) (data []byte, complete bool, err error) {
	if body == nil || body == http.NoBody {
		return nil, true, nil
	}
	data, err = io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(data)) > limit {
		return data, false, nil
	}
	return data, true, nil
}

// setBody replaces the body of res with data and fixes its length.
func setBody(res *http.Response, data []byte) {
	res.Body = io.NopCloser(bytes.NewReader(data))
	res.ContentLength = int64(len(data))
	res.Header.Set("Content-Length", strconv.Itoa(len(data)))
}

// specError is one item of the errors array of the proxy's own error bodies. The spec allows
// strings and objects there.
type specError struct {
	Message   string             `json:"message"`
	Direction validate.Direction `json:"direction,omitempty"`
	Pointer   *string            `json:"pointer,omitempty"`
	Reason    string             `json:"reason,omitempty"`
}

func specErrors(direction validate.Direction, violations []validate.Violation) []specError {
	out := make([]specError, 0, len(violations))
	for _, v := range violations {
		pointer := v.Pointer
		out = append(out, specError{
			Message:   fmt.Sprintf("%s violates the spec at %s", direction, v),
			Direction: direction,
			Pointer:   &pointer,
			Reason:    v.Reason,
		})
	}
	return out
}

// specErrorBody returns {"data": null, "errors": errs}, the failure shape of the spec's
// responses.
func specErrorBody(errs []specError) []byte {
	body, err := json.Marshal(struct {
		Data   any         `json:"data"`
		Errors []specError `json:"errors"`
	}{nil, errs})
	if err != nil {
		panic("encode a spec error body: " + err.Error())
	}
	return body
}

func writeSpecError(w http.ResponseWriter, status, violations int, errs []specError) {
	body := specErrorBody(errs)
	header := w.Header()
	header.Set("Content-Type", "application/json")
	header.Set("Content-Length", strconv.Itoa(len(body)))
	writeCount(header, violations)
	w.WriteHeader(status)
	w.Write(body)
}

// replaceWithSpecError turns res into a 502 with a spec-shaped error body, dropping the
// upstream's headers.
func replaceWithSpecError(res *http.Response, violations int, errs []specError) {
	res.StatusCode = http.StatusBadGateway
	res.Status = fmt.Sprintf("%d %s", http.StatusBadGateway, http.StatusText(http.StatusBadGateway))
	res.Header = http.Header{"Content-Type": {"application/json"}}
	writeCount(res.Header, violations)
	setBody(res, specErrorBody(errs))
}
