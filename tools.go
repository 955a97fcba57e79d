//go:build tools

// Package tci pins the code generator that go generate runs, so that go.mod records its version.
package tci

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
