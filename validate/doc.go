// Package validate checks requests and responses of the Code Interpreter API against the
// OpenAPI document in package tci.
//
// kin-openapi loads the document and routes requests. A Validator is built once and is safe for
// concurrent use. The wrapper client, the reference server and the contract tools all share the
// one that Embedded returns:
//
//	v, err := validate.Embedded()
//	if err != nil {
//		return err
//	}
//	if err := v.Response(validate.ListSessions, resp.StatusCode, resp.Header, body); err != nil {
//		var verr *validate.Error
//		if errors.As(err, &verr) {
//			for _, violation := range verr.Violations {
//				log.Printf("%s: %s", violation.Pointer, violation.Reason)
//			}
//		}
//	}
//
// # Fast path and reference
//
// New compiles each request and response body schema once, from kin-openapi's resolved schema
// model, into nodes that Response and Request check in one pass over the body bytes, without
// building a value tree. A valid body allocates nothing; an invalid one is walked a second time
// to collect every violation. The keywords type (including "null"), properties, required,
// additionalProperties, items, enum, oneOf, anyOf, allOf and format are checked. Title,
// description, example, default and x- extensions are annotations. Any other keyword makes New
// fail, so that no constraint of the spec is silently ignored.
//
// ReferenceResponse and ReferenceRequest run kin-openapi's openapi3filter on the same document.
// They are the reference the fast path is tested against and the baseline it is measured
// against. As kin-openapi v0.153.0 does for OpenAPI 3.1, both treat nullable and discriminator
// as annotations; the fast path uses the discriminator, or any required property whose enums
// tell the branches apart, only to check and report the one branch that can match.
//
// # Decoding agrees with validation
//
// A body that passes Response or Request decodes with encoding/json into the types of package
// generated. Where kin-openapi accepts values that encoding/json cannot decode, the validator
// follows the decoder, and reports:
//
//   - format date-time: an RFC 3339 date-time (section 5.6) in any of its forms, lowercase "t"
//     and "z" and a leap second included, which generated.DateTime decodes; forms outside the
//     grammar, such as a single-digit hour or a comma before the fraction, are violations;
//   - format byte: base64 that encoding/json decodes into []byte (standard alphabet, padding
//     required, line breaks ignored), where kin-openapi's pattern also admits the URL alphabet
//     and missing or excess padding;
//   - type integer: an integer literal within int64, or int32 for format int32, where JSON
//     Schema also counts 1.0 and 1e2 as integers;
//   - any number beyond float64, which encoding/json cannot decode into interface{};
//   - a value of another kind than object or null where a schema without "type" has object
//     keywords, and likewise for arrays, because the generated struct, map or slice cannot hold
//     it;
//   - a member whose name differs from a declared property only in case, because encoding/json
//     decodes it into that property's field, where it would replace the validated value.
//
// ReferenceResponse and ReferenceRequest check date-time and byte with the same functions as
// the fast path, so that the two differ only in the cases listed here and below. The tests pin
// each difference as a named case.
//
// # Hostile input
//
// A body that is not one JSON value is a violation at the pointer "" whose reason gives the
// offset: malformed or truncated JSON, an empty body, data after the value (which
// kin-openapi's decoder ignores) and nesting deeper than MaxDepth. Invalid UTF-8 in a string or
// member name and a repeated member name are violations of that value, where kin-openapi
// accepts both. A declared status with a Content-Type the spec does not declare for it is a
// violation; a status the spec does not declare is not validated.
package validate
