// Package document is the model of an official Vietnamese document that the
// hub and the desktop share: what a document carries under Decree
// 30/2020/ND-CP (ND30) and the edXML packet format of QCVN 102:2016, and the
// rules it must satisfy.
//
// # Metadata and its wire form
//
// [Metadata] holds the ND30 Appendix VI fields: issuing agency, number and
// notation, place and date, type, subject, signer, recipients, urgency,
// secrecy, due date and the rest. It travels as JSON inside the signed
// envelope, so its form is a contract:
//
//   - Field names are lower snake case ("code_notation", "to_places") and
//     never change meaning. Optional fields are omitted when empty; the
//     others are always written.
//   - Enumerations are the small integers of edXML (priority 0..4,
//     secrecy 0..3, steering_type 0..2, business.type 0..3); a status is the
//     two-digit string "01".."16"; a document type is a stable ASCII key
//     ("quyet_dinh"), never a Vietnamese name.
//   - Dates are "yyyy-mm-dd" ([Date]); instants are RFC 3339 with their
//     offset; document ids are their string form ([DocumentID]).
//   - Text is valid UTF-8 in Unicode NFC, without control characters, and
//     limits count characters, not bytes.
//   - "version" is [SchemaVersion]. [ParseMetadata] refuses newer versions,
//     unknown fields and duplicate keys: what is signed is exactly what is
//     read.
//
// Version history:
//   - 1 (2026-11): first version.
//
// # Validation
//
// [Metadata.Validate] and [StatusUpdate.Validate] report every problem at
// once in a [*ValidationError]; each [Problem] has the JSON path of its
// field, a [ProblemCode] for programs, an English message for logs and a
// Vietnamese message for the clerk. Neither message repeats the
// document's text.
//
// # Identifiers and numbering
//
// A [DocumentID] is "OrganId,yyyy/MM/dd,Number/Notation"; it is read in
// both date orders found in the wild and written in one. [BuildNotation]
// and [ParseNumberNotation] make and split "567/QĐ-UBND". Numbers restart
// at 1 on 1 January, Vietnam time: [RegisterYear] says which year's series
// an instant belongs to, using the fixed zone [VietnamTime], so no time zone
// database is needed.
//
// # Status
//
// [Status] holds the business status codes of the edXML status packet, and
// [Lifecycle] the order in which they may come at one recipient (see its
// documentation for the rules and the choices made where the sources are
// silent).
//
// Documents classified Mật or above are modelled, but whether they may
// travel over the hub at all is a policy decision outside this package.
package document
