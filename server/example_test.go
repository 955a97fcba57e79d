package server_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/tcikit/tci/generated"
	"github.com/tcikit/tci/server"
)

// Example starts the server on a loopback port and runs code with the generated client. Once
// Close is deferred, errors are printed rather than passed to log.Fatal, which would skip
// Close and leave the server's directory behind.
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
		fmt.Println(err)
		return
	}
	resp, err := client.ExecuteCodeWithResponse(context.Background(), generated.ExecuteRequest{
		Code: "print(6 * 7)",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if resp.JSON200 == nil {
		fmt.Printf("execute: status %d: %s\n", resp.StatusCode(), resp.Body)
		return
	}
	result, err := resp.JSON200.AsSuccessfulExecution()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, output := range result.Data.Outputs {
		if stream, err := output.AsStreamOutput(); err == nil {
			fmt.Printf("%s: %s", stream.Type, stream.Data)
		}
	}
	// Output: stdout: 42
}
