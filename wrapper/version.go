package wrapper

import "runtime"

// Version is the version of this library. It is sent in the User-Agent header.
const Version = "0.1.0"

// defaultUserAgent names this library, its version and the Go runtime, such as
// "tci-go/0.1.0 (go1.26.8; linux/amd64)".
var defaultUserAgent = "tci-go/" + Version +
	" (" + runtime.Version() + "; " + runtime.GOOS + "/" + runtime.GOARCH + ")"
