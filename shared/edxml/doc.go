// Package edxml reads and writes edXML packets (QCVN 102:2016 with its 2022
// amendment), the format the document management systems of ministries and
// provinces exchange through the national axis, and maps them to and from
// Lienthong's model (package lienthong/shared/document).
//
// # Packets
//
// A document packet is edXML › edXMLEnvelope › edXMLHeader (MessageHeader,
// TraceHeaderList with TraceHeaders and the Bussiness block, an enveloped
// XML-DSig Signature) and edXMLBody (edXMLManifest of References), followed
// by AttachmentEncoded › Attachment with base64 content. A status packet
// carries edXMLHeader › Status (From, ResponseFor, StaffInfo, StatusCode,
// Description, Timestamp); a MessageHeader holding a StatusCode is read as
// a status too. The older SOAP form (SOAP-ENV:Envelope › Header/Body, in
// namespace http://www.e-doc.vn/Schema/, attachments as MIME parts) is
// read; only the standard form is written.
//
// [Read] returns a [Packet]; [WriteDocument] and [WriteStatus] write one.
// A packet written and read back equals the original.
//
// # Mapping
//
// Every field that Lienthong's model and edXML share maps both ways:
// sender and recipients, number and notation, place and date, type (TypeName
// as printed, and Type as the 1-based row of ND30 Appendix III: 18 is Công
// văn), subject, signer, due date, ToPlaces, priority, page and copy counts,
// appendixes, steering type, ResponseFor, the business type with the
// documents it recalls, updates or replaces, and a status's document,
// sender, code, description, staff member and time. The DocumentId is
// derived from the document's fields. edXML has one Description on a
// status: a refusal (02) carries its reason there.
//
// What has no field in the model (Content, OrganizationInCharge, the
// sender's address, TypeDetail, SphereOfPromulgation, TyperNotation,
// Direction, Paper, StaffInfo, a DocumentId not of the standard form, the
// attributes of TraceHeaderList and References, elements of other
// namespaces, ...) is kept as an [Extra]: a canonical XML fragment (or an
// attribute) with the logical path of its parent, and written back there on
// export, equal after canonicalisation (edXML elements prefixed "edXML",
// attributes sorted, text escaped). Nothing is dropped silently; the one
// exception is the XML signature, which covers bytes that export rewrites,
// so a re-exported packet carries its own.
//
// The writer refuses rather than lose: a secret document (độ mật has no
// element in edXML), a field whose text is "null" (read as no value), a
// refusal's description or another code's reason (one Description), an
// attachment without a ContentId of its own or whose content does not
// match its stated size and SHA-256, an extra whose path it never writes.
//
// # Strict about meaning, lenient about form
//
// Real packets are messier than the standard. [Read] accepts, and reports
// as a [Warning] with its element's path and one of a closed set of
// [WarningKind]s: dates written dd/MM/yyyy, yyyy-MM-dd or with a time;
// timestamps without a zone (read in Vietnam time); values with spaces or
// line breaks around them; the text "null" for no value; empty entries;
// DocumentIds that are not "OrganId,yyyy/MM/dd,Number/Notation" (kept as
// extras); OrganIds that are not 13-character codes (kept as written, for
// the caller's validation to judge); lower-case codes; a Type and TypeName
// that disagree (TypeName wins); status codes without their leading zero;
// byte order marks; CDATA; any namespace prefix; the older namespace or
// none; decomposed Unicode (put in NFC, as the model keeps text); a Code
// written as one text "Number/Notation"; a status in a MessageHeader;
// manifest references without content and the reverse; base64 without
// padding; attachments that are ZIP archives.
//
// It refuses, with an [*Error] naming the element and wrapping one of the
// sentinels, what has no one reading: no sender, no recipient, no document
// named by a status, an unknown status code or business type, a date that
// is not a date, an element given twice, base64 that is not base64, a root
// element or namespace that is not edXML's, and anything over a limit.
// Read does not apply ND30's rules; validate the result with
// [document.Metadata.Validate] or [document.StatusUpdate.Validate].
//
// # Limits
//
// [Limits] bound a packet: its size (default 50 MB, the axis's common
// cap), nesting depth, number of elements, attributes per element, the
// size of any text or attribute outside attachment content, and the number
// of attachments. DOCTYPE declarations are refused, so no entity is ever
// expanded. encoding/xml holds a whole tag before it returns it, so a guard
// on the raw bytes stops a tag with too many attributes or bytes before
// the decoder buffers it. Attachment content never enters the tree: it is
// decoded as it is read, in 4 KiB groups, to the writer the caller
// supplies for it (and hashed with SHA-256). Memory stays within about two
// packets' size (encoding/xml buffers one text run whole, and an
// attachment's base64 is one run); the tests measure each bomb's cost.
//
// # Signatures
//
// [Packet.Signature] gives the byte range of the enveloped XML-DSig
// Signature in the input, so that a verifier can work on the same bytes;
// checking it, and signing exported packets, is the job of a separate
// package.
package edxml
