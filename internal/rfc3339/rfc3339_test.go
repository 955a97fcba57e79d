package rfc3339

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func TestParseValidForms(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-12-04T15:20:42Z", time.Date(2026, 12, 4, 15, 20, 42, 0, time.UTC)},
		{"2026-12-04t15:20:42z", time.Date(2026, 12, 4, 15, 20, 42, 0, time.UTC)},
		{"2026-12-04T15:20:42.5Z", time.Date(2026, 12, 4, 15, 20, 42, 500_000_000, time.UTC)},
		{"2026-12-04T15:20:42.123456789Z", time.Date(2026, 12, 4, 15, 20, 42, 123456789, time.UTC)},
		{"2026-12-04T15:20:42.1234567891234Z", time.Date(2026, 12, 4, 15, 20, 42, 123456789, time.UTC)},
		{"2026-12-04T15:20:42+01:30", time.Date(2026, 12, 4, 13, 50, 42, 0, time.UTC)},
		{"2026-12-04T15:20:42-23:59", time.Date(2026, 12, 5, 15, 19, 42, 0, time.UTC)},
		{"2026-12-04T15:20:42-00:00", time.Date(2026, 12, 4, 15, 20, 42, 0, time.UTC)},
		{"2016-12-31T23:59:60Z", time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2015-06-30T23:59:60.5Z", time.Date(2015, 7, 1, 0, 0, 0, 500_000_000, time.UTC)},
		{"2017-01-01T00:59:60+01:00", time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2016-12-31T15:59:60-08:00", time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2024-02-29T00:00:00Z", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"2000-02-29T00:00:00Z", time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"0000-01-01T00:00:00Z", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, ok := Parse(tt.in)
		if !ok {
			t.Errorf("Parse(%q) failed", tt.in)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("Parse(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if !Valid([]byte(tt.in)) {
			t.Errorf("Valid(%q) = false", tt.in)
		}
	}
}

func TestParseKeepsOffset(t *testing.T) {
	got, ok := Parse("2026-12-04T15:20:42+01:30")
	if !ok {
		t.Fatal("Parse failed")
	}
	if _, offset := got.Zone(); offset != 90*60 {
		t.Errorf("offset = %d seconds, want %d", offset, 90*60)
	}
	utc, _ := Parse("2026-12-04T15:20:42-00:00")
	if utc.Location() != time.UTC {
		t.Errorf("-00:00 gave location %v, want UTC", utc.Location())
	}
}

func TestParseRejectsInvalid(t *testing.T) {
	for _, in := range []string{
		"",
		"2026-12-04",
		"2026-12-04T15:20:42",
		"2026-12-04 15:20:42Z",
		"2026-12-04T5:20:42Z",
		"2026-12-04T15:20:42,5Z",
		"2026-12-04T15:20:42.Z",
		"2026-12-04T15:20:42+0100",
		"2026-12-04T15:20:42+01",
		"2026-12-04T15:20:42+24:00",
		"2026-12-04T15:20:42+01:60",
		"2026-12-04T24:00:00Z",
		"2026-12-04T15:60:00Z",
		"2026-12-04T15:20:61Z",
		"2026-13-04T15:20:42Z",
		"2026-00-04T15:20:42Z",
		"2026-12-00T15:20:42Z",
		"2026-12-32T15:20:42Z",
		"2026-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z",
		"+2026-12-04T15:20:42Z",
		"2026-12-04T15:20:42Z ",
		"2026-12-04T15:20:42ZZ",
		"２026-12-04T15:20:42Z",
		"2026-03-14T10:17:60Z",
		"2016-12-31T23:58:60Z",
		"2016-12-30T23:59:60Z",
		"2016-12-31T23:59:60+01:00",
	} {
		if _, ok := Parse(in); ok {
			t.Errorf("Parse(%q) succeeded, want failure", in)
		}
		if Valid(in) {
			t.Errorf("Valid(%q) = true, want false", in)
		}
	}
}

// TestParseAgreesWithTimePackage generates date-times that both this package and time.Parse
// accept (upper-case separators, no leap second) and requires the same instant.
func TestParseAgreesWithTimePackage(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		fraction := ""
		if digits := r.IntN(12); digits > 0 {
			fraction = "."
			for range digits {
				fraction += string(rune('0' + r.IntN(10)))
			}
		}
		offset := "Z"
		if r.IntN(2) == 0 {
			sign := "+-"[r.IntN(2)]
			offset = fmt.Sprintf("%c%02d:%02d", sign, r.IntN(24), r.IntN(60))
		}
		in := fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d%s%s",
			r.IntN(10000), 1+r.IntN(12), 1+r.IntN(31), r.IntN(24), r.IntN(60), r.IntN(60), fraction, offset)

		want, wantErr := time.Parse(time.RFC3339Nano, in)
		got, ok := Parse(in)
		if ok != (wantErr == nil) {
			t.Fatalf("Parse(%q) ok = %v, time.Parse error = %v", in, ok, wantErr)
		}
		if ok && !got.Equal(want) {
			t.Fatalf("Parse(%q) = %v, time.Parse = %v", in, got, want)
		}
	}
}

func TestValidDoesNotAllocate(t *testing.T) {
	in := []byte("2026-12-04T15:20:42.123456+01:00")
	allocs := testing.AllocsPerRun(100, func() { Valid(in) })
	if allocs != 0 {
		t.Errorf("Valid allocates %v times per call", allocs)
	}
}
