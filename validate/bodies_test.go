package validate

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tcikit/tci/generated"
)

// jsonHeader is the header of a JSON request or response.
var jsonHeader = http.Header{"Content-Type": {"application/json"}}

func mustEmbedded(tb testing.TB) *Validator {
	tb.Helper()
	v, err := Embedded()
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// sessionsBody returns a sessions response with n sessions, as the reference server writes it.
func sessionsBody(tb testing.TB, n int) []byte {
	tb.Helper()
	started := time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.UTC)
	sessions := make([]generated.Session, n)
	for i := range sessions {
		sessions[i] = generated.Session{
			ID:            fmt.Sprintf("ses_%08dabcDEF", i),
			ExecuteCount:  i % 97,
			StartedAt:     generated.DateTime{Time: started.Add(time.Duration(i) * time.Second)},
			LastExecuteAt: generated.DateTime{Time: started.Add(time.Duration(i)*time.Second + 1500*time.Millisecond)},
			ExpiresAt:     generated.DateTime{Time: started.Add(time.Duration(i)*time.Second + time.Hour)},
		}
	}
	return mustMarshal(tb, generated.SessionListResponse{Data: &generated.SessionList{Sessions: sessions}})
}

// stdoutBody returns an execute response whose one output is size bytes of printed text.
func stdoutBody(tb testing.TB, size int) []byte {
	tb.Helper()
	line := "step 0042: loss=0.318 accuracy=0.912 elapsed=12.5s <ok>\n"
	text := strings.Repeat(line, size/len(line)+1)[:size]
	var output generated.InterpreterOutput
	if err := output.FromStreamOutput(generated.StreamOutput{Type: generated.StreamOutputTypeStdout, Data: text}); err != nil {
		tb.Fatal(err)
	}
	return executeBody(tb, output)
}

// imageBody returns an execute response whose one output is a PNG image of size bytes.
func imageBody(tb testing.TB, size int) []byte {
	tb.Helper()
	image := make([]byte, size)
	random := rand.New(rand.NewPCG(1, 2))
	for i := range image {
		image[i] = byte(random.Uint32())
	}
	var output generated.InterpreterOutput
	display := generated.DisplayOrExecuteOutput{
		Type: generated.DisplayOrExecuteOutputTypeDisplayData,
		Data: generated.MIMEBundle{ImagePNG: &image, TextPlain: ptr("<Figure size 640x480 with 1 Axes>")},
	}
	if err := output.FromDisplayOrExecuteOutput(display); err != nil {
		tb.Fatal(err)
	}
	return executeBody(tb, output)
}

func executeBody(tb testing.TB, outputs ...generated.InterpreterOutput) []byte {
	tb.Helper()
	var response generated.ExecuteResponse
	err := response.FromSuccessfulExecution(generated.SuccessfulExecution{
		Data: generated.ExecutionData{SessionID: "ses_abcDEF123", Outputs: outputs},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return mustMarshal(tb, response)
}

func mustMarshal(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func ptr[T any](v T) *T { return &v }

// decodeSessions decodes a sessions response into the generated types.
func decodeSessions(body []byte) error {
	var response generated.SessionListResponse
	if err := json.Unmarshal(body, &response); err != nil {
		return err
	}
	if response.Errors != nil {
		return decodeErrors(*response.Errors)
	}
	return nil
}

// decodeExecute decodes an execute response into the generated types, through the accessors of
// its unions.
func decodeExecute(body []byte) error {
	var response generated.ExecuteResponse
	if err := json.Unmarshal(body, &response); err != nil {
		return err
	}
	var probe struct {
		Errors json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return err
	}
	if probe.Errors == nil || string(probe.Errors) == "null" {
		success, err := response.AsSuccessfulExecution()
		if err != nil {
			return fmt.Errorf("AsSuccessfulExecution: %w", err)
		}
		for i, output := range success.Data.Outputs {
			if _, err := output.ValueByDiscriminator(); err != nil {
				return fmt.Errorf("output %d: ValueByDiscriminator: %w", i, err)
			}
		}
		return nil
	}
	failure, err := response.AsFailedExecution()
	if err != nil {
		return fmt.Errorf("AsFailedExecution: %w", err)
	}
	return decodeErrors(failure.Errors)
}

func decodeErrors(errs []generated.ResponseError) error {
	for i, e := range errs {
		raw, err := e.MarshalJSON()
		if err != nil {
			return err
		}
		if strings.HasPrefix(strings.TrimSpace(string(raw)), `"`) {
			_, err = e.AsErrorMessage()
		} else {
			_, err = e.AsErrorDetail()
		}
		if err != nil {
			return fmt.Errorf("error %d: %w", i, err)
		}
	}
	return nil
}

// decodeRequest decodes an execute request into the generated type.
func decodeRequest(body []byte) error {
	if len(body) == 0 {
		return nil
	}
	var request generated.ExecuteRequest
	return json.Unmarshal(body, &request)
}
