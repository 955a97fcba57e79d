package server_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/tcikit/tci/generated"
	"github.com/tcikit/tci/server"
)

// Example starts the server on a loopback port and runs code with the generated client.
func Example() {
	srv, err := server.New()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()

	client, err := generated.NewClientWithResponses(hs.URL + server.BasePath)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := client.ExecuteCodeWithResponse(context.Background(), generated.ExecuteRequest{
		Code: "print(6 * 7)",
	})
	if err != nil {
		log.Fatal(err)
	}
	if resp.JSON200 == nil {
		log.Fatalf("execute: status %d: %s", resp.StatusCode(), resp.Body)
	}
	result, err := resp.JSON200.AsSuccessfulExecution()
	if err != nil {
		log.Fatal(err)
	}
	for _, output := range result.Data.Outputs {
		if stream, err := output.AsStreamOutput(); err == nil {
			fmt.Printf("%s: %s", stream.Type, stream.Data)
		}
	}
	// Output: stdout: 42
}
