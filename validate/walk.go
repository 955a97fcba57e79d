package validate

import (
	"bytes"
	"slices"
	"sync"
)

// MaxDepth is the deepest nesting of arrays and objects that a body may have. A deeper body is
// a violation whose reason names the limit, so that hostile input cannot exhaust the stack.
//
// NOTE: encoding/json, and so kin-openapi, accepts up to 10000 levels. Outside free-form JSON
// values no body of this API nests more than six levels, so 1000 leaves ample room.
const MaxDepth = 1000

// largeObject is the member count from which an object detects duplicate names with a map
// instead of comparing each name with the ones before it.
const largeObject = 32

// walker validates one JSON body against a set of compiled schemas in a single pass over its
// bytes. In fast mode it stops at the first violation; in collect mode it records every
// violation with its JSON pointer. Unions walk the value once for each branch in fast mode.
type walker struct {
	data    []byte
	pos     int
	depth   int
	collect bool

	violations []Violation
	path       []segment

	stack    []*node  // schema sets of the values being walked
	bits     []uint64 // seen properties of the open objects, per node with object keywords
	names    []byte   // member names of the open objects, decoded, for duplicate detection
	nameEnds []int    // end offset in names of each member name
	name     []byte   // decoded name of the current member
	text     []byte   // decoded content of the current string
	scratch  []byte   // base64 content without line breaks; member names during lookahead
}

// segment is one step of the path to the current value: a member name or an array index.
type segment struct {
	name  string
	index int // -1 for a member name
}

var walkers = sync.Pool{New: func() any { return new(walker) }}

// maxRetained is the size above which a buffer is dropped rather than kept in the pool.
const maxRetained = 1 << 20

func (w *walker) reset(body []byte, collect bool) {
	w.data = body
	w.pos = 0
	w.depth = 0
	w.collect = collect
	w.violations = w.violations[:0]
	w.path = w.path[:0]
	w.stack = w.stack[:0]
	w.bits = w.bits[:0]
	w.names = w.names[:0]
	w.nameEnds = w.nameEnds[:0]
}

func (w *walker) release() {
	w.reset(nil, false)
	if cap(w.text) > maxRetained {
		w.text = nil
	}
	if cap(w.scratch) > maxRetained {
		w.scratch = nil
	}
	if cap(w.names) > maxRetained {
		w.names = nil
	}
	walkers.Put(w)
}

// check validates body against root. It returns nil for a valid body and otherwise every
// violation, found by a second pass in collect mode.
func check(root *node, body []byte) []Violation {
	w := walkers.Get().(*walker)
	defer w.release()
	if w.run(root, body, false) {
		return nil
	}
	w.run(root, body, true)
	if len(w.violations) == 0 {
		// The collect pass misses nothing the fast pass finds; this guards the verdict if it
		// ever did.
		return []Violation{{Reason: "body violates the spec"}}
	}
	return dedupe(w.violations)
}

// run walks the whole body and reports whether it is valid. A syntax error ends the walk; in
// collect mode it replaces every other violation, since the body has no values to judge.
func (w *walker) run(root *node, body []byte, collect bool) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			err, isSyntax := r.(*syntaxError)
			if !isSyntax {
				panic(r)
			}
			ok = false
			if collect {
				w.violations = append(w.violations[:0], Violation{Reason: err.Error()})
			}
		}
	}()
	w.reset(body, collect)
	w.skipSpace()
	if len(body) == 0 {
		w.syntax(0, "empty body")
	}
	ok = w.value(root.flat)
	if !ok && !collect {
		return false
	}
	w.skipSpace()
	if w.pos < len(w.data) {
		// NOTE: kin-openapi decodes bodies with json.Decoder, which ignores what follows the first
		// value, but encoding/json.Unmarshal rejects it, so the validator does too.
		w.syntax(w.pos, "data after the top-level value")
	}
	return ok
}

// value walks the value at w.pos against every node of set and moves past it.
func (w *walker) value(set []*node) bool {
	k := w.peekKind()
	start := w.pos
	ok, deep, end := true, false, -1
	for i := 0; i < len(set); i++ {
		n := set[i]
		if n.never {
			if !w.collect {
				return false
			}
			w.report("no value is allowed here")
			ok = false
			continue
		}
		if !n.allows(k) {
			if !w.collect {
				return false
			}
			w.report(typeReason(n.types, k))
			ok = false
			// Keywords of other kinds do not constrain this value.
			set = w.without(set, i)
			i--
			continue
		}
		if n.enum != nil && (k == kindObject || k == kindArray) {
			if !w.collect {
				return false
			}
			w.report(kindName(k) + " is not one of " + n.enum.display)
			ok = false
		}
		for u := range n.unions {
			held, e := w.union(&n.unions[u], k, start)
			if !held {
				if !w.collect {
					return false
				}
				ok = false
			}
			end = max(end, e)
		}
		deep = deep || n.deep
	}
	if end >= 0 && !deep {
		// A union branch walked the whole value, with every check that applies to all values,
		// and no node needs another walk.
		w.pos = end
		return ok
	}

	var held bool
	switch k {
	case kindObject:
		held = w.object(set)
	case kindArray:
		held = w.array(set)
	case kindString:
		held = w.str(set)
	case kindNumber:
		held = w.number(set)
	default:
		held = w.literal(set)
	}
	return held && ok
}

// without returns set less its node i, stored on the walker's stack.
func (w *walker) without(set []*node, i int) []*node {
	base := len(w.stack)
	w.stack = append(w.stack, set[:i]...)
	w.stack = append(w.stack, set[i+1:]...)
	return w.stack[base:]
}

func (w *walker) enter() {
	w.pos++
	if w.depth++; w.depth > MaxDepth {
		w.syntax(w.pos-1, "nesting depth exceeds the limit of 1000")
	}
}

func (w *walker) object(set []*node) bool {
	w.enter()
	bitBase := len(w.bits)
	for _, n := range set {
		if n.objectRules {
			for range words(n) {
				w.bits = append(w.bits, 0)
			}
		}
	}
	nameBase, nameByteBase := len(w.nameEnds), len(w.names)
	var large map[string]struct{}

	ok := true
	w.skipSpace()
	if w.pos < len(w.data) && w.data[w.pos] == '}' {
		w.pos++
	} else {
		for {
			w.skipSpace()
			if w.pos >= len(w.data) || w.data[w.pos] != '"' {
				w.unexpected(w.pos, "looking for beginning of object key string")
			}
			name, valid := w.memberName()
			w.skipSpace()
			if w.pos >= len(w.data) || w.data[w.pos] != ':' {
				w.unexpected(w.pos, "after object key")
			}
			w.pos++

			w.push(name, -1)
			base := len(w.stack)
			held, declared, repeated := w.member(set, name, bitBase)
			if !declared && !w.uniqueName(name, nameBase, nameByteBase, &large) {
				repeated = true
			}
			if repeated {
				if !w.collect {
					return false
				}
				w.reportParent("duplicate property " + quoteValue(name))
				ok = false
			}
			if !valid {
				if !w.collect {
					return false
				}
				w.report("invalid UTF-8 in property name")
				ok = false
			}
			if !held {
				if !w.collect {
					return false
				}
				ok = false
			}
			if !w.value(w.stack[base:]) {
				if !w.collect {
					return false
				}
				ok = false
			}
			w.stack = w.stack[:base]
			w.pop()

			w.skipSpace()
			if w.pos < len(w.data) && w.data[w.pos] == ',' {
				w.pos++
				continue
			}
			if w.pos < len(w.data) && w.data[w.pos] == '}' {
				w.pos++
				break
			}
			w.unexpected(w.pos, "after object key:value pair")
		}
	}

	if !w.checkRequired(set, bitBase) {
		ok = false
	}
	w.bits = w.bits[:bitBase]
	w.names = w.names[:nameByteBase]
	w.nameEnds = w.nameEnds[:nameBase]
	w.depth--
	return ok
}

func words(n *node) int { return (len(n.props) + 63) / 64 }

// memberName scans a member name and returns it decoded.
func (w *walker) memberName() (name []byte, valid bool) {
	raw, escaped, valid := w.scanString()
	if !escaped {
		return raw, valid
	}
	w.name = appendUnescaped(w.name[:0], raw)
	return w.name, valid
}

// uniqueName reports whether the object has no undeclared member named name before it, and
// stores the name for the members after it. member detects repeats of declared members.
//
// NOTE: encoding/json keeps the last of duplicate members and kin-openapi judges that one, but
// RFC 8259 leaves the meaning of duplicates open, so the validator rejects them.
func (w *walker) uniqueName(name []byte, nameBase, nameByteBase int, large *map[string]struct{}) bool {
	earlier := w.nameEnds[nameBase:]
	unique := true
	switch {
	case *large == nil && len(earlier) < largeObject:
		from := nameByteBase
		for _, end := range earlier {
			if bytes.Equal(w.names[from:end], name) {
				unique = false
				break
			}
			from = end
		}
	case *large == nil:
		*large = make(map[string]struct{}, 2*largeObject)
		from := nameByteBase
		for _, end := range earlier {
			(*large)[string(w.names[from:end])] = struct{}{}
			from = end
		}
		fallthrough
	default:
		if _, seen := (*large)[string(name)]; seen {
			unique = false
		}
		(*large)[string(name)] = struct{}{}
	}
	w.names = append(w.names, name...)
	w.nameEnds = append(w.nameEnds, len(w.names))
	return unique
}

// member applies the object keywords of set to the member name: it marks the member as seen,
// rejects it where additionalProperties is false and pushes the schemas of its value on the
// stack. declared reports a name that some node of set declares or requires, and repeated a
// member that such a node has seen before in this object.
func (w *walker) member(set []*node, name []byte, bitBase int) (held, declared, repeated bool) {
	held = true
	off := bitBase
	for _, n := range set {
		if !n.objectRules {
			continue
		}
		i, found := n.lookup(name)
		if found {
			declared = true
			bit := &w.bits[off+i/64]
			repeated = repeated || *bit&(1<<(i%64)) != 0
			*bit |= 1 << (i % 64)
		}
		off += words(n)
		if found && n.props[i].declared {
			if child := n.props[i].node; child != nil {
				w.stack = append(w.stack, child.flat...)
			}
			continue
		}
		if n.noExtra {
			if !w.collect {
				return false, declared, repeated
			}
			w.reportParent("property " + quoteValue(name) + " is not allowed")
			held = false
			continue
		}
		if n.extra != nil {
			w.stack = append(w.stack, n.extra.flat...)
		}
		if n.folded != nil {
			// encoding/json decodes a member whose name differs from a property's only in case
			// into that property's field, where the last one wins. Such a member could replace
			// the validated value with one that was never checked, so it is rejected.
			w.scratch = appendFold(w.scratch[:0], name)
			if j, match := n.folded[string(w.scratch)]; match {
				if !w.collect {
					return false, declared, repeated
				}
				w.reportParent("property " + quoteValue(name) + " differs from property " +
					quoteString(n.props[j].name) + " only in case")
				held = false
			}
		}
	}
	return held, declared, repeated
}

func (w *walker) checkRequired(set []*node, bitBase int) bool {
	ok := true
	off := bitBase
	for _, n := range set {
		if !n.objectRules {
			continue
		}
		for _, i := range n.required {
			if w.bits[off+i/64]&(1<<(i%64)) == 0 {
				if !w.collect {
					return false
				}
				w.report("missing required property " + quoteString(n.props[i].name))
				ok = false
			}
		}
		off += words(n)
	}
	return ok
}

func (w *walker) array(set []*node) bool {
	w.enter()
	base := len(w.stack)
	for _, n := range set {
		if n.items != nil {
			w.stack = append(w.stack, n.items.flat...)
		}
	}
	items := w.stack[base:]

	ok := true
	w.skipSpace()
	if w.pos < len(w.data) && w.data[w.pos] == ']' {
		w.pos++
	} else {
		for i := 0; ; i++ {
			w.push(nil, i)
			if !w.value(items) {
				if !w.collect {
					return false
				}
				ok = false
			}
			w.pop()
			w.skipSpace()
			if w.pos < len(w.data) && w.data[w.pos] == ',' {
				w.pos++
				continue
			}
			if w.pos < len(w.data) && w.data[w.pos] == ']' {
				w.pos++
				break
			}
			w.unexpected(w.pos, "after array element")
		}
	}
	w.stack = w.stack[:base]
	w.depth--
	return ok
}

func (w *walker) str(set []*node) bool {
	start := w.pos
	raw, escaped, valid := w.scanString()
	ok := true
	// NOTE: encoding/json replaces invalid UTF-8 with U+FFFD and kin-openapi accepts it, but
	// RFC 8259 requires UTF-8, so the validator rejects it.
	if !valid {
		if !w.collect {
			return false
		}
		w.report("invalid UTF-8 in string")
		ok = false
	}
	text := raw
	decoded := !escaped
	for _, n := range set {
		if n.enum == nil && n.format != formatByte && n.format != formatDateTime {
			continue
		}
		if !decoded {
			w.text = appendUnescaped(w.text[:0], raw)
			text, decoded = w.text, true
		}
		var reason string
		switch {
		case n.enum != nil && !n.enum.hasString(text):
			reason = quoteValue(text) + " is not one of " + n.enum.display
		case n.format == formatDateTime && !validDateTime(w.data[start:w.pos]):
			reason = "invalid date-time " + quoteValue(raw)
		case n.format == formatByte && !validBase64(text, &w.scratch):
			reason = "invalid base64 " + quoteValue(raw)
		default:
			continue
		}
		if !w.collect {
			return false
		}
		w.report(reason)
		ok = false
	}
	return ok
}

func (w *walker) number(set []*node) bool {
	literal, integer := w.scanNumber()
	ok := true
	// NOTE: kin-openapi accepts any number, but encoding/json fails to decode a number beyond
	// float64 into interface{}, which the generated types use for free-form values, so the
	// validator rejects such numbers everywhere.
	if !finiteFloat(literal) {
		if !w.collect {
			return false
		}
		w.report("number " + string(literal) + " is out of range for float64")
		ok = false
	}
	for _, n := range set {
		var reason string
		switch {
		case n.enum != nil:
			reason = string(literal) + " is not one of " + n.enum.display
		case !integerOnly(n.types):
			continue
		case !integer:
			// NOTE: JSON Schema counts 1.0 and 1e2 as integers and kin-openapi accepts them, but
			// encoding/json decodes only integer literals into Go integers.
			reason = "expected integer without fraction or exponent, got " + truncate(string(literal))
		case n.format == formatInt32 && !integerFits(literal, 32):
			reason = "integer " + truncate(string(literal)) + " is out of range for int32"
		case !integerFits(literal, 64):
			// NOTE: kin-openapi accepts integers of any size; the generated Go types hold them
			// in int, which is 64 bits on the platforms this module supports.
			reason = "integer " + truncate(string(literal)) + " is out of range for int64"
		default:
			continue
		}
		if !w.collect {
			return false
		}
		w.report(reason)
		ok = false
	}
	return ok
}

func (w *walker) literal(set []*node) bool {
	literal := w.scanLiteral()
	ok := true
	for _, n := range set {
		if n.enum == nil {
			continue
		}
		e := n.enum
		if literal[0] == 't' && e.yes || literal[0] == 'f' && e.no || literal[0] == 'n' && e.null {
			continue
		}
		if !w.collect {
			return false
		}
		w.report(string(literal) + " is not one of " + e.display)
		ok = false
	}
	return ok
}

// mark is the state of the walker's stacks, to return to after a branch of a union.
type mark struct {
	stack, bits, names, nameEnds, path, depth int
}

func (w *walker) mark() mark {
	return mark{len(w.stack), len(w.bits), len(w.names), len(w.nameEnds), len(w.path), w.depth}
}

func (w *walker) restore(m mark) {
	w.stack = w.stack[:m.stack]
	w.bits = w.bits[:m.bits]
	w.names = w.names[:m.names]
	w.nameEnds = w.nameEnds[:m.nameEnds]
	w.path = w.path[:m.path]
	w.depth = m.depth
}

// union checks the value at start against a oneOf or anyOf. It leaves w.pos at start and returns
// whether the union holds and, when some branch walked the whole value, the offset after it.
func (w *walker) union(u *union, k kinds, start int) (bool, int) {
	var d lookahead
	if u.disc != nil && k == kindObject {
		d = w.discriminate(u.disc, start)
	}

	collect := w.collect
	w.collect = false
	m := w.mark()
	matches, end := 0, -1
	var matched [2]int
	for i, b := range u.branches {
		if d.state != lookaheadNone && (d.state != lookaheadFound || d.branch != i) {
			continue // the discriminant rules this branch out
		}
		w.pos = start
		held := w.value(b.flat)
		if held {
			if matches < len(matched) {
				matched[matches] = i
			}
			matches++
			end = w.pos
		}
		w.restore(m)
		if held && (!u.exactlyOne || matches > 1) {
			break
		}
	}
	w.collect = collect
	w.pos = start

	if matches == 1 || matches > 1 && !u.exactlyOne {
		return true, end
	}
	if !w.collect {
		return false, -1
	}
	if matches > 1 {
		w.report("matches both " + branchName(u, matched[0]) + " and " + branchName(u, matched[1]) +
			" but oneOf allows exactly one")
		return false, end
	}
	return false, w.reportUnion(u, k, start, d)
}

// reportUnion records the violations of a union that no branch matches: those of the branch the
// discriminant names, or else those of the branch that comes closest. It returns the offset
// after the value when a branch walked it, or -1.
func (w *walker) reportUnion(u *union, k kinds, start int, d lookahead) int {
	if d.state != lookaheadNone {
		return w.reportDiscriminated(u, start, d)
	}

	var candidates []int
	var all kinds
	for i, b := range u.branches {
		if allowsAll(b, k) {
			candidates = append(candidates, i)
		}
		all |= b.types
	}
	if len(candidates) == 0 {
		w.report(typeReason(all, k))
		return -1
	}

	// The closest branch is the one whose shallowest violation lies deepest, so that a body that
	// fails deep inside one branch is not reported against a branch it fails at the top. Fewer
	// violations break ties.
	m := w.mark()
	base := len(w.violations)
	prefix := len(w.pointer())
	var best []Violation
	bestDepth := -1
	end := -1
	for _, i := range candidates {
		w.pos = start
		w.value(u.branches[i].flat)
		end = w.pos
		found := slices.Clone(w.violations[base:])
		w.violations = w.violations[:base]
		w.restore(m)
		depth := shallowest(found, prefix)
		if bestDepth < 0 || depth > bestDepth || depth == bestDepth && len(found) < len(best) {
			best, bestDepth = found, depth
		}
	}
	w.violations = append(w.violations, best...)
	w.pos = start
	return end
}

func (w *walker) reportDiscriminated(u *union, start int, d lookahead) int {
	name := []byte(u.disc.property)
	switch d.state {
	case lookaheadMissing:
		w.report("missing required property " + quoteString(u.disc.property))
	case lookaheadNotString:
		w.push(name, -1)
		w.report("expected string, got " + kindName(d.kind))
		w.pop()
	case lookaheadUnknown:
		w.push(name, -1)
		w.report(quoteValue([]byte(d.value)) + " is not one of " + quoteAll(u.disc.values))
		w.pop()
	case lookaheadFound:
		w.pos = start
		w.value(u.branches[d.branch].flat)
		end := w.pos
		w.pos = start
		return end
	}
	return -1
}

// allowsAll reports whether every node of the branch accepts a value of kind k.
func allowsAll(b *node, k kinds) bool {
	for _, n := range b.flat {
		if n.never || !n.allows(k) {
			return false
		}
	}
	return true
}

// lookaheadState is the result of a lookahead for the discriminant of an object.
type lookaheadState uint8

const (
	lookaheadNone      lookaheadState = iota // no lookahead was made
	lookaheadFound                           // the value names branch
	lookaheadMissing                         // the object has no such member
	lookaheadNotString                       // the member is not a string
	lookaheadUnknown                         // no branch allows the string
)

type lookahead struct {
	state  lookaheadState
	branch int
	kind   kinds  // the kind of the value, for lookaheadNotString
	value  string // the value, for lookaheadUnknown
}

// discriminate reads the discriminant of the object at start without walking the object. The
// lookahead does not check syntax; the walk of the chosen branch does.
func (w *walker) discriminate(d *discriminant, start int) lookahead {
	data := w.data
	i := start + 1
	for {
		i = skipSpaceAt(data, i)
		if i >= len(data) || data[i] != '"' {
			return lookahead{state: lookaheadMissing}
		}
		end := endOfString(data, i)
		if end < 0 {
			return lookahead{state: lookaheadMissing}
		}
		name := data[i+1 : end-1]
		if bytes.IndexByte(name, '\\') >= 0 {
			w.scratch = appendUnescaped(w.scratch[:0], name)
			name = w.scratch
		}
		i = skipSpaceAt(data, end)
		if i >= len(data) || data[i] != ':' {
			return lookahead{state: lookaheadMissing}
		}
		i = skipSpaceAt(data, i+1)
		if string(name) == d.property {
			return d.read(data, i, &w.text)
		}
		if i = skipLenient(data, i); i < 0 {
			return lookahead{state: lookaheadMissing}
		}
		i = skipSpaceAt(data, i)
		if i >= len(data) || data[i] != ',' {
			return lookahead{state: lookaheadMissing}
		}
		i++
	}
}

// read judges the discriminant's value at i.
func (d *discriminant) read(data []byte, i int, buf *[]byte) lookahead {
	if i >= len(data) || data[i] != '"' {
		return lookahead{state: lookaheadNotString, kind: kindAt(data, i)}
	}
	end := endOfString(data, i)
	if end < 0 {
		return lookahead{state: lookaheadMissing}
	}
	value := data[i+1 : end-1]
	if bytes.IndexByte(value, '\\') >= 0 {
		*buf = appendUnescaped((*buf)[:0], value)
		value = *buf
	}
	if b, ok := d.branch[string(value)]; ok {
		return lookahead{state: lookaheadFound, branch: b}
	}
	return lookahead{state: lookaheadUnknown, value: string(value)}
}

func kindAt(data []byte, i int) kinds {
	if i >= len(data) {
		return 0
	}
	switch c := data[i]; {
	case c == '{':
		return kindObject
	case c == '[':
		return kindArray
	case c == 't' || c == 'f':
		return kindBoolean
	case c == 'n':
		return kindNull
	}
	return kindNumber
}

func skipSpaceAt(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}
