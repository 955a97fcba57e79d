package validate

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxQuoted is the number of bytes of a value that a reason quotes before it truncates.
const maxQuoted = 64

func (w *walker) push(name []byte, index int) {
	if w.collect {
		w.path = append(w.path, segment{name: string(name), index: index})
	}
}

func (w *walker) pop() {
	if w.collect {
		w.path = w.path[:len(w.path)-1]
	}
}

// report records a violation of the current value.
func (w *walker) report(reason string) {
	w.violations = append(w.violations, Violation{Pointer: pointerOf(w.path), Reason: reason})
}

// reportParent records a violation of the object that holds the current member.
func (w *walker) reportParent(reason string) {
	w.violations = append(w.violations, Violation{Pointer: pointerOf(w.path[:len(w.path)-1]), Reason: reason})
}

func (w *walker) pointer() string { return pointerOf(w.path) }

// pointerOf returns the JSON pointer (RFC 6901) of path. Invalid UTF-8 in a member name becomes
// U+FFFD, as a JSON decoder reads it.
func pointerOf(path []segment) string {
	var b strings.Builder
	for _, s := range path {
		b.WriteByte('/')
		if s.index >= 0 {
			b.WriteString(strconv.Itoa(s.index))
		} else {
			b.WriteString(escapePointer(strings.ToValidUTF8(s.name, "\uFFFD")))
		}
	}
	return b.String()
}

// shallowest returns the least depth, below the pointer of length prefix, of the violations.
func shallowest(violations []Violation, prefix int) int {
	least := -1
	for _, v := range violations {
		depth := strings.Count(v.Pointer[min(prefix, len(v.Pointer)):], "/")
		if least < 0 || depth < least {
			least = depth
		}
	}
	return least
}

// dedupe returns a copy of violations without repeats. A value inside a union can be reported
// twice, once by the branch that comes closest and once by the walk of the value itself.
func dedupe(violations []Violation) []Violation {
	out := make([]Violation, 0, len(violations))
	seen := make(map[Violation]bool, len(violations))
	for _, v := range violations {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func typeReason(want, got kinds) string {
	return "expected " + kindList(want) + ", got " + kindName(got)
}

func kindName(k kinds) string {
	for _, kn := range kindNames {
		if kn.kind == k {
			return kn.name
		}
	}
	return "value"
}

func branchName(u *union, i int) string {
	if title := u.branches[i].title; title != "" {
		return title
	}
	return "branch " + strconv.Itoa(i)
}

// quoteValue quotes a value from the body for a reason, truncated to maxQuoted bytes.
func quoteValue(b []byte) string {
	return quoteString(string(b))
}

func quoteString(s string) string {
	return strconv.Quote(truncate(s))
}

// truncate shortens s to maxQuoted bytes at a rune boundary and marks the cut with "...".
func truncate(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
