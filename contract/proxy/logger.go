package proxy

import (
	"fmt"
	"io"
	"log/slog"
)

// The log formats that NewLogger accepts.
const (
	LogFormatText = "text"
	LogFormatJSON = "json"
)

// NewLogger returns a logger that writes to w in format, LogFormatText (slog's key=value
// lines) or LogFormatJSON (one JSON object per line), at level and above.
func NewLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	options := &slog.HandlerOptions{Level: level}
	switch format {
	case LogFormatText:
		return slog.New(slog.NewTextHandler(w, options)), nil
	case LogFormatJSON:
		return slog.New(slog.NewJSONHandler(w, options)), nil
	}
	return nil, fmt.Errorf("invalid log format %q; use %q or %q", format, LogFormatText, LogFormatJSON)
}
