// Package tci holds the Code Interpreter API document that the rest of the module is generated
// from and validated against.
//
// openapi.yaml contains the operations tagged "Code Interpreter" in the upstream Together OpenAPI
// 3.1 document (POST /tci/execute and GET /tci/sessions) with every schema they reference,
// unchanged. Run "make spec" to rebuild it and "go generate ./..." to regenerate the code in
// package generated.
package tci

import _ "embed"

// OpenAPI is the content of openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
