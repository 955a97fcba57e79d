package generated_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tcikit/tci"
	"github.com/tcikit/tci/generated"
)

// outputVariants reads the output union of a successful execution from openapi.yaml and returns
// each member's title with the values of its "type" enum.
func outputVariants(t *testing.T) map[string][]string {
	t.Helper()
	var doc struct {
		Components struct {
			Schemas struct {
				ExecuteResponse struct {
					OneOf []struct {
						Title      string `yaml:"title"`
						Properties struct {
							Data struct {
								Properties struct {
									Outputs struct {
										Items struct {
											OneOf []struct {
												Title      string `yaml:"title"`
												Properties struct {
													Type struct {
														Enum []string `yaml:"enum"`
													} `yaml:"type"`
												} `yaml:"properties"`
											} `yaml:"oneOf"`
										} `yaml:"items"`
									} `yaml:"outputs"`
								} `yaml:"properties"`
							} `yaml:"data"`
						} `yaml:"properties"`
					} `yaml:"oneOf"`
				} `yaml:"ExecuteResponse"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(tci.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	variants := map[string][]string{}
	for _, member := range doc.Components.Schemas.ExecuteResponse.OneOf {
		if member.Title != "SuccessfulExecution" {
			continue
		}
		for _, output := range member.Properties.Data.Properties.Outputs.Items.OneOf {
			variants[output.Title] = output.Properties.Type.Enum
		}
	}
	if len(variants) == 0 {
		t.Fatal("openapi.yaml has no output variants")
	}
	return variants
}

func TestOutputTypeDecodesToVariant(t *testing.T) {
	for title, types := range outputVariants(t) {
		for _, outputType := range types {
			t.Run(outputType, func(t *testing.T) {
				data := `"text"`
				if title == "DisplayorExecuteOutput" {
					data = `{"text/plain": "text"}`
				}
				var output generated.InterpreterOutput
				body := `{"type": "` + outputType + `", "data": ` + data + `}`
				if err := json.Unmarshal([]byte(body), &output); err != nil {
					t.Fatal(err)
				}

				value, err := output.ValueByDiscriminator()
				if err != nil {
					t.Fatalf("ValueByDiscriminator: %v", err)
				}
				// The Go type is named after the member's title, in Go's casing.
				goType := reflect.TypeOf(value).Name()
				if !strings.EqualFold(goType, title) {
					t.Errorf("type %q decoded to %s, want the %s member", outputType, goType, title)
				}

				discriminator, err := output.Discriminator()
				if err != nil {
					t.Fatal(err)
				}
				if discriminator != outputType {
					t.Errorf("Discriminator() = %q, want %q", discriminator, outputType)
				}
			})
		}
	}
}

func TestOutputVariantFields(t *testing.T) {
	var outputs []generated.InterpreterOutput
	body := `[
		{"type": "stdout", "data": "out"},
		{"type": "stderr", "data": "err"},
		{"type": "error", "data": "Traceback"},
		{"type": "display_data", "data": {"image/png": "iVBORw0KGgo="}},
		{"type": "execute_result", "data": {"text/plain": "45"}}
	]`
	if err := json.Unmarshal([]byte(body), &outputs); err != nil {
		t.Fatal(err)
	}
	values := make([]any, len(outputs))
	for i, output := range outputs {
		value, err := output.ValueByDiscriminator()
		if err != nil {
			t.Fatalf("output %d: %v", i, err)
		}
		values[i] = value
	}

	if got := values[0].(generated.StreamOutput); got.Type != generated.StreamOutputTypeStdout || got.Data != "out" {
		t.Errorf("stdout output = %+v", got)
	}
	if got := values[1].(generated.StreamOutput); got.Type != generated.StreamOutputTypeStderr || got.Data != "err" {
		t.Errorf("stderr output = %+v", got)
	}
	if got := values[2].(generated.ErrorOutput); got.Data != "Traceback" {
		t.Errorf("error output = %+v", got)
	}
	display := values[3].(generated.DisplayOrExecuteOutput)
	if display.Type != generated.DisplayOrExecuteOutputTypeDisplayData {
		t.Errorf("display output type = %q", display.Type)
	}
	if display.Data.ImagePNG == nil || string(*display.Data.ImagePNG) != "\x89PNG\r\n\x1a\n" {
		t.Errorf("image/png = %v, want the decoded PNG signature", display.Data.ImagePNG)
	}
	result := values[4].(generated.DisplayOrExecuteOutput)
	if result.Type != generated.DisplayOrExecuteOutputTypeExecuteResult {
		t.Errorf("execute result type = %q", result.Type)
	}
	if result.Data.TextPlain == nil || *result.Data.TextPlain != "45" {
		t.Errorf("text/plain = %v, want 45", result.Data.TextPlain)
	}
}

func TestOutputUnknownTypeIsError(t *testing.T) {
	for _, body := range []string{
		`{"type": "rich_text", "data": "x"}`,
		`{"type": "", "data": "x"}`,
		`{"data": "x"}`,
		`{"type": 3, "data": "x"}`,
	} {
		var output generated.InterpreterOutput
		if err := json.Unmarshal([]byte(body), &output); err != nil {
			continue // rejected while decoding: also an error
		}
		if value, err := output.ValueByDiscriminator(); err == nil {
			t.Errorf("%s decoded to %T, want an error", body, value)
		}
	}
}

func TestOutcomeFailureIsNeverSuccess(t *testing.T) {
	body := `{"data": null, "errors": ["session ses_abc not found", {"code": "not_found"}]}`
	var response generated.ExecuteResponse
	if err := json.Unmarshal([]byte(body), &response); err != nil {
		t.Fatal(err)
	}

	success, failure, err := response.Outcome()
	if err != nil {
		t.Fatal(err)
	}
	if success != nil {
		t.Fatalf("failure body decoded as success %+v", success)
	}
	if failure == nil || len(failure.Errors) != 2 {
		t.Fatalf("failure = %+v, want two errors", failure)
	}
	message, err := failure.Errors[0].AsErrorMessage()
	if err != nil || message != "session ses_abc not found" {
		t.Errorf("errors[0] = %q, %v", message, err)
	}
	detail, err := failure.Errors[1].AsErrorDetail()
	if err != nil || detail["code"] != "not_found" {
		t.Errorf("errors[1] = %v, %v", detail, err)
	}
}

func TestOutcomeSuccess(t *testing.T) {
	body := `{"data": {"session_id": "ses_abc", "status": "success",
		"outputs": [{"type": "stdout", "data": "45\n"}]}, "errors": null}`
	var response generated.ExecuteResponse
	if err := json.Unmarshal([]byte(body), &response); err != nil {
		t.Fatal(err)
	}

	success, failure, err := response.Outcome()
	if err != nil {
		t.Fatal(err)
	}
	if failure != nil {
		t.Fatalf("success body decoded as failure %+v", failure)
	}
	if success.Data.SessionID != "ses_abc" {
		t.Errorf("session id = %q", success.Data.SessionID)
	}
	if len(success.Data.Outputs) != 1 {
		t.Errorf("got %d outputs, want 1", len(success.Data.Outputs))
	}
}

func TestOutcomeAmbiguousBodyIsError(t *testing.T) {
	for _, body := range []string{
		`{}`,
		`{"data": null, "errors": null}`,
		`{"data": {"session_id": "s", "outputs": []}, "errors": ["x"]}`,
		`{"data": "text", "errors": null}`,
		`{"data": null, "errors": "x"}`,
		`[]`,
	} {
		var response generated.ExecuteResponse
		if err := json.Unmarshal([]byte(body), &response); err != nil {
			continue // rejected while decoding: also an error
		}
		if success, failure, err := response.Outcome(); err == nil {
			t.Errorf("%s: Outcome() = %+v, %+v, want an error", body, success, failure)
		}
	}
}

func TestLanguageDefaultsToPython(t *testing.T) {
	encoded, err := json.Marshal(generated.ExecuteRequest{Code: "print(1)"})
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(encoded, &fields); err != nil {
		t.Fatal(err)
	}
	if fields["language"] != "python" {
		t.Errorf("language = %#v in %s, want \"python\"", fields["language"], encoded)
	}
}

func TestClientSendsPythonLanguage(t *testing.T) {
	bodies := make(chan []byte, 1)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		bodies <- body
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"data": {"session_id": "ses_a", "outputs": []}, "errors": null}`)
	}))
	defer server.Close()

	client, err := generated.NewClientWithResponses(server.URL)
	if err != nil {
		t.Fatal(err)
	}
	response, err := client.ExecuteCodeWithResponse(context.Background(), generated.ExecuteRequest{Code: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if response.StatusCode() != http.StatusOK {
		t.Fatalf("status %d", response.StatusCode())
	}

	var sent map[string]any
	if err := json.Unmarshal(<-bodies, &sent); err != nil {
		t.Fatal(err)
	}
	if sent["language"] != "python" {
		t.Errorf("client sent language %#v, want \"python\"", sent["language"])
	}
}

func TestDateTimeDecodesRFC3339Forms(t *testing.T) {
	for _, literal := range []string{
		`"2026-12-04T15:20:42Z"`,
		`"2026-12-04t15:20:42.123456789123z"`,
		`"2016-12-31T23:59:60Z"`,
		`"2026-12-04T15:20:42+05:30"`,
		`"2026-12-04T15:20:42\u005a"`,
	} {
		var d generated.DateTime
		if err := json.Unmarshal([]byte(literal), &d); err != nil {
			t.Errorf("%s: %v", literal, err)
		}
	}
	for _, literal := range []string{`"2026-12-04 15:20:42Z"`, `"2026-02-30T00:00:00Z"`, `1`, `null`, `"2026-03-14T10:17:60Z"`} {
		var d generated.DateTime
		if err := json.Unmarshal([]byte(literal), &d); err == nil {
			t.Errorf("%s decoded to %v, want an error", literal, d.Time)
		}
	}
}

func TestDateTimeUnescapedDoesNotAllocate(t *testing.T) {
	literal := []byte(`"2026-12-04T15:20:42.535897Z"`)
	var d generated.DateTime
	allocs := testing.AllocsPerRun(100, func() {
		if err := d.UnmarshalJSON(literal); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("UnmarshalJSON allocates %v times per call", allocs)
	}
}
