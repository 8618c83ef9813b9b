package wire_test

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"lienthong/certs"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/pades"
	"lienthong/shared/receipt"
	"lienthong/shared/wire"
)

// schemaOf maps each object schema of the OpenAPI document to the Go type
// whose JSON it describes.
var schemaOf = map[string]reflect.Type{
	"Error":              reflect.TypeFor[wire.Error](),
	"Hello":              reflect.TypeFor[wire.Hello](),
	"UploadState":        reflect.TypeFor[wire.UploadState](),
	"Submitted":          reflect.TypeFor[wire.Submitted](),
	"RecallOutcome":      reflect.TypeFor[wire.RecallOutcome](),
	"Inbox":              reflect.TypeFor[wire.Inbox](),
	"InboxItem":          reflect.TypeFor[wire.InboxItem](),
	"InlineAttachment":   reflect.TypeFor[wire.InlineAttachment](),
	"EdXMLRef":           reflect.TypeFor[wire.EdXMLRef](),
	"EdXMLAccepted":      reflect.TypeFor[wire.EdXMLAccepted](),
	"EdXMLWarning":       reflect.TypeFor[wire.EdXMLWarning](),
	"EdXMLRefusal":       reflect.TypeFor[wire.EdXMLRefusal](),
	"RecipientClosed":    reflect.TypeFor[wire.RecipientClosed](),
	"ClosedRecipient":    reflect.TypeFor[wire.ClosedRecipient](),
	"EdXMLInboxItem":     reflect.TypeFor[wire.EdXMLInboxItem](),
	"EdXMLInbox":         reflect.TypeFor[wire.EdXMLInbox](),
	"EdXMLStatusItem":    reflect.TypeFor[wire.EdXMLStatusItem](),
	"EdXMLStatuses":      reflect.TypeFor[wire.EdXMLStatuses](),
	"Acked":              reflect.TypeFor[wire.Acked](),
	"Refusal":            reflect.TypeFor[wire.Refusal](),
	"Refused":            reflect.TypeFor[wire.Refused](),
	"Receipts":           reflect.TypeFor[wire.Receipts](),
	"StatusItem":         reflect.TypeFor[wire.StatusItem](),
	"Statuses":           reflect.TypeFor[wire.Statuses](),
	"Updates":            reflect.TypeFor[wire.Updates](),
	"StatusAccepted":     reflect.TypeFor[wire.StatusAccepted](),
	"AckStatuses":        reflect.TypeFor[wire.AckStatuses](),
	"Sent":               reflect.TypeFor[wire.Sent](),
	"SentItem":           reflect.TypeFor[wire.SentItem](),
	"RecipientState":     reflect.TypeFor[wire.RecipientState](),
	"Directory":          reflect.TypeFor[wire.Directory](),
	"Agency":             reflect.TypeFor[wire.Agency](),
	"AgencyCertificate":  reflect.TypeFor[wire.AgencyCertificate](),
	"DirectoryHistory":   reflect.TypeFor[wire.DirectoryHistory](),
	"DirectoryVersion":   reflect.TypeFor[wire.DirectoryVersion](),
	"DirectoryRecord":    reflect.TypeFor[wire.DirectoryRecord](),
	"LogProof":           reflect.TypeFor[wire.LogProof](),
	"LogEntries":         reflect.TypeFor[wire.LogEntries](),
	"Stats":              reflect.TypeFor[wire.Stats](),
	"AgencyStats":        reflect.TypeFor[wire.AgencyStats](),
	"Packet":             reflect.TypeFor[envelope.Packet](),
	"DocumentPayload":    reflect.TypeFor[envelope.Document](),
	"Attachment":         reflect.TypeFor[envelope.Attachment](),
	"StatusPayload":      reflect.TypeFor[envelope.Status](),
	"Metadata":           reflect.TypeFor[document.Metadata](),
	"Organ":              reflect.TypeFor[document.Organ](),
	"Recipient":          reflect.TypeFor[document.Recipient](),
	"Promulgation":       reflect.TypeFor[document.Promulgation](),
	"Signer":             reflect.TypeFor[document.Signer](),
	"Business":           reflect.TypeFor[document.Business](),
	"StatusUpdate":       reflect.TypeFor[document.StatusUpdate](),
	"Problem":            reflect.TypeFor[document.Problem](),
	"ReceiptPayload":     reflect.TypeFor[receipt.Receipt](),
	"PDFReport":          reflect.TypeFor[pades.Report](),
	"PDFSignatureReport": reflect.TypeFor[pades.SignatureReport](),
	"PDFChange":          reflect.TypeFor[pades.Change](),
}

// scalarOf maps the Go types that have a schema of their own (a string or
// integer with a format, pattern or enumeration) to it: a field of such a
// type must refer to that schema.
var scalarOf = map[reflect.Type]string{
	reflect.TypeFor[time.Time]():             "Timestamp",
	reflect.TypeFor[certs.AgencyCode]():      "AgencyCode",
	reflect.TypeFor[document.Date]():         "Date",
	reflect.TypeFor[document.DocumentID]():   "DocumentID",
	reflect.TypeFor[document.DocType]():      "DocType",
	reflect.TypeFor[document.Urgency]():      "Urgency",
	reflect.TypeFor[document.Secrecy]():      "Secrecy",
	reflect.TypeFor[document.Steering]():     "Steering",
	reflect.TypeFor[document.BusinessType](): "BusinessType",
	reflect.TypeFor[document.Status]():       "StatusCode",
	reflect.TypeFor[wire.Code]():             "ErrorCode",
	reflect.TypeFor[document.ProblemCode]():  "ProblemCode",
}

// notGo are the schemas with no Go type of their own, and why.
var notGo = map[string]string{
	"MessageID":      "a string pattern (envelope.ValidMessageID)",
	"SHA256":         "a string pattern (envelope.ValidSHA256)",
	"Base64":         "[]byte, base64 as encoding/json writes it",
	"Origin":         "wire.OriginSender, wire.OriginHub",
	"DocumentPacket": "an envelope.Packet whose payload is a DocumentPayload",
	"StatusPacket":   "an envelope.Packet whose payload is a StatusPayload",
	"ReceiptPacket":  "an envelope.Packet whose payload is a ReceiptPayload",
	"OfficeReport":   "hub/relay's unsignedReport, the report of an attachment that is not a PDF",
}

type openAPIDoc struct {
	Paths      map[string]map[string]any
	Components struct {
		Schemas map[string]map[string]any
	}
}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := yaml.Unmarshal(wire.OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if len(doc.Components.Schemas) == 0 || len(doc.Paths) == 0 {
		t.Fatal("openapi.yaml has no schemas or no paths")
	}
	return doc
}

// TestOpenAPIDocsCopy keeps docs/openapi.yaml, the copy vendors read in
// the repository, equal to the embedded source.
func TestOpenAPIDocsCopy(t *testing.T) {
	docs, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(docs, wire.OpenAPI) {
		t.Fatal("docs/openapi.yaml differs from shared/wire/openapi.yaml: cp shared/wire/openapi.yaml docs/openapi.yaml")
	}
}

// TestOpenAPITypes fails when a Go type of the wire, a packet's payload or
// the hub's PDF report and its schema disagree: the same JSON fields, the
// fields Go always writes required and the others not, and each field's
// JSON type (nested structs by their schema, time.Time a date-time,
// []byte base64).
func TestOpenAPITypes(t *testing.T) {
	doc := loadOpenAPI(t)
	for name := range doc.Components.Schemas {
		_, isGo := schemaOf[name]
		_, why := notGo[name]
		isScalar := slices.Contains(slices.Collect(mapValues(scalarOf)), name)
		if !isGo && !why && !isScalar {
			t.Errorf("schema %s is tied to no Go type: add it to schemaOf, scalarOf or notGo", name)
		}
	}
	for name, typ := range schemaOf {
		schema, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("openapi.yaml has no schema %s for %v", name, typ)
			continue
		}
		c := &typeChecker{t: t, doc: doc}
		c.object(name, typ, schema)
	}
	for typ, name := range scalarOf {
		schema, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("openapi.yaml has no schema %s for %v", name, typ)
			continue
		}
		if got, want := schema["type"], jsonKind(typ); got != want {
			t.Errorf("schema %s is of type %v, Go's %v is a JSON %s", name, got, typ, want)
		}
	}
}

func mapValues[K comparable, V any](m map[K]V) func(func(V) bool) {
	return func(yield func(V) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}

// jsonKind is the JSON type encoding/json writes for a scalar Go type.
func jsonKind(typ reflect.Type) string {
	if typ == reflect.TypeFor[time.Time]() || typ.Implements(reflect.TypeFor[interface{ MarshalText() ([]byte, error) }]()) {
		return "string"
	}
	switch typ.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		if typ.Elem().Kind() == reflect.Uint8 && typ.Kind() == reflect.Slice {
			return "string"
		}
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return ""
}

type typeChecker struct {
	t   *testing.T
	doc openAPIDoc
}

// resolve follows a $ref, or an allOf of one $ref, to the named schema.
func (c *typeChecker) resolve(s map[string]any) (name string, schema map[string]any) {
	ref, _ := s["$ref"].(string)
	if ref == "" {
		if all, ok := s["allOf"].([]any); ok && len(all) == 1 {
			if m, ok := all[0].(map[string]any); ok {
				ref, _ = m["$ref"].(string)
			}
		}
	}
	if ref == "" {
		return "", s
	}
	name = strings.TrimPrefix(ref, "#/components/schemas/")
	return name, c.doc.Components.Schemas[name]
}

// types returns the JSON types a schema allows ("type" as a string or a
// list, or the type of its const).
func types(s map[string]any) []string {
	switch v := s["type"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, x.(string))
		}
		return out
	}
	if v, ok := s["const"]; ok {
		switch v.(type) {
		case string:
			return []string{"string"}
		case int:
			return []string{"integer"}
		}
	}
	return nil
}

func (c *typeChecker) object(where string, typ reflect.Type, schema map[string]any) {
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if !slices.Contains(types(schema), "object") {
		c.t.Errorf("%s: %v is a JSON object, the schema says %v", where, typ, schema["type"])
		return
	}
	props, _ := schema["properties"].(map[string]any)
	var required []string
	for _, r := range asList(schema["required"]) {
		required = append(required, r.(string))
	}
	seen := map[string]bool{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		seen[name] = true
		field := where + "." + name
		optional := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		switch req := slices.Contains(required, name); {
		case optional && req:
			c.t.Errorf("%s: Go field %s.%s may be left out (omitempty/omitzero), the schema requires it", field, typ.Name(), f.Name)
		case !optional && !req:
			c.t.Errorf("%s: Go field %s.%s is always written, the schema does not require it", field, typ.Name(), f.Name)
		}
		p, ok := props[name].(map[string]any)
		if !ok {
			c.t.Errorf("%s: Go field %s.%s is not in the schema", field, typ.Name(), f.Name)
			continue
		}
		c.value(field, f.Type, p)
	}
	for name := range props {
		if !seen[name] {
			c.t.Errorf("%s.%s: in the schema, not in Go's %v", where, name, typ)
		}
	}
	for _, r := range required {
		if !seen[r] {
			c.t.Errorf("%s: required %q is no field of Go's %v", where, r, typ)
		}
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

func (c *typeChecker) value(where string, typ reflect.Type, s map[string]any) {
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	ref, target := c.resolve(s)
	if want, ok := scalarOf[typ]; ok {
		if ref != want {
			c.t.Errorf("%s: Go's %v must refer to schema %s, the schema refers to %q", where, typ, want, ref)
		}
		return
	}
	if want := schemaName(typ); want != "" {
		if ref != want {
			c.t.Errorf("%s: Go's %v must refer to schema %s, the schema refers to %q", where, typ, want, ref)
		}
		return
	}
	if typ == reflect.TypeFor[json.RawMessage]() || typ.Kind() == reflect.Interface {
		return // any JSON: the schema says more than Go does
	}
	kind := jsonKind(typ)
	got := types(target)
	if !slices.Contains(got, kind) {
		c.t.Errorf("%s: Go's %v is a JSON %s, the schema says %v", where, typ, kind, got)
		return
	}
	switch {
	case typ.Kind() == reflect.Slice && typ.Elem().Kind() == reflect.Uint8:
		if target["contentEncoding"] != "base64" {
			c.t.Errorf("%s: Go's []byte is base64, the schema has no contentEncoding base64", where)
		}
	case typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array:
		items, ok := target["items"].(map[string]any)
		if !ok {
			c.t.Errorf("%s: an array without items", where)
			return
		}
		c.value(where+"[]", typ.Elem(), items)
	case typ.Kind() == reflect.Map:
		items, ok := target["additionalProperties"].(map[string]any)
		if !ok {
			c.t.Errorf("%s: a map without additionalProperties", where)
			return
		}
		c.value(where+"{}", typ.Elem(), items)
	case typ.Kind() == reflect.String && typ != reflect.TypeFor[string]() && ref == "":
		c.t.Errorf("%s: Go's %v has no schema of its own in scalarOf", where, typ)
	}
}

func schemaName(typ reflect.Type) string {
	for name, t := range schemaOf {
		if t == typ {
			return name
		}
	}
	return ""
}

// oneOfConsts reads a schema's oneOf of consts, or its enum.
func oneOfConsts(t *testing.T, s map[string]any) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, v := range asList(s["oneOf"]) {
		out = append(out, v.(map[string]any))
	}
	for _, v := range asList(s["enum"]) {
		out = append(out, map[string]any{"const": v})
	}
	if v, ok := s["const"]; ok {
		out = append(out, map[string]any{"const": v})
	}
	if len(out) == 0 {
		t.Fatal("no enumeration")
	}
	return out
}

// TestOpenAPIEnumerations compares the schema's enumerations with the Go
// tables: error codes with their HTTP status and retry advice, document
// types with their names and abbreviations, status codes, urgency,
// secrecy, steering and business types, receipt events and payload kinds.
func TestOpenAPIEnumerations(t *testing.T) {
	schemas := loadOpenAPI(t).Components.Schemas
	t.Run("error codes", func(t *testing.T) {
		doc := map[wire.Code]map[string]any{}
		for _, c := range oneOfConsts(t, schemas["ErrorCode"]) {
			doc[wire.Code(c["const"].(string))] = c
		}
		for _, code := range wire.Codes() {
			c, ok := doc[code]
			switch {
			case !ok:
				t.Errorf("%s is missing from ErrorCode", code)
			case c["x-http-status"] != code.HTTPStatus():
				t.Errorf("ErrorCode gives %s HTTP %v, package wire %d", code, c["x-http-status"], code.HTTPStatus())
			case c["x-retryable"] != code.Retryable():
				t.Errorf("ErrorCode gives %s x-retryable %v, package wire %v", code, c["x-retryable"], code.Retryable())
			}
			delete(doc, code)
		}
		for code := range doc {
			t.Errorf("ErrorCode has %s, package wire does not", code)
		}
	})
	t.Run("document types", func(t *testing.T) {
		consts := oneOfConsts(t, schemas["DocType"])
		types := document.Types()
		if len(consts) != len(types) {
			t.Fatalf("DocType has %d types, package document %d", len(consts), len(types))
		}
		for i, ti := range types {
			c := consts[i]
			if c["const"] != string(ti.Type) || c["title"] != ti.Name || c["x-abbreviation"] != ti.Abbreviation {
				t.Errorf("DocType %d is %v %v %v, package document %s %s %s", i, c["const"], c["title"], c["x-abbreviation"], ti.Type, ti.Name, ti.Abbreviation)
			}
		}
	})
	t.Run("status codes", func(t *testing.T) {
		var got, want []string
		for _, c := range oneOfConsts(t, schemas["StatusCode"]) {
			got = append(got, c["const"].(string)+" "+c["title"].(string))
		}
		for _, s := range document.Statuses() {
			want = append(want, string(s)+" "+s.NameVI())
		}
		if !slices.Equal(got, want) {
			t.Errorf("StatusCode is %q, package document %q", got, want)
		}
	})
	ranges := []struct {
		schema string
		valid  func(int) bool
		name   func(int) string // "" where the schema's title is its own
	}{
		{"Urgency", func(i int) bool { return document.Urgency(i).Valid() }, func(i int) string { return document.Urgency(i).NameVI() }},
		{"Secrecy", func(i int) bool { return document.Secrecy(i).Valid() }, func(i int) string { return document.Secrecy(i).NameVI() }},
		{"Steering", func(i int) bool { return document.Steering(i).Valid() }, func(int) string { return "" }},
		{"BusinessType", func(i int) bool { return document.BusinessType(i).Valid() }, func(i int) string { return document.BusinessType(i).NameVI() }},
	}
	for _, r := range ranges {
		t.Run(r.schema, func(t *testing.T) {
			doc := map[int]string{}
			for _, c := range oneOfConsts(t, schemas[r.schema]) {
				doc[c["const"].(int)], _ = c["title"].(string)
			}
			for i := -2; i < 20; i++ {
				title, ok := doc[i]
				if ok != r.valid(i) {
					t.Errorf("%s: %d in the schema %v, valid in Go %v", r.schema, i, ok, r.valid(i))
				}
				if n := r.name(i); ok && n != "" && n != title {
					t.Errorf("%s: %d is %q in the schema, %q in Go", r.schema, i, title, n)
				}
			}
		})
	}
	enums := []struct {
		where string
		got   map[string]any
		want  []any
	}{
		{"ReceiptPayload.event", prop(schemas, "ReceiptPayload", "event"), []any{receipt.EventAccepted, receipt.EventDelivered, receipt.EventRefused}},
		{"ReceiptPayload.kind", prop(schemas, "ReceiptPayload", "kind"), []any{receipt.KindReceipt}},
		{"DocumentPayload.kind", prop(schemas, "DocumentPayload", "kind"), []any{envelope.KindDocument}},
		{"StatusPayload.kind", prop(schemas, "StatusPayload", "kind"), []any{envelope.KindStatus}},
		{"EdXMLAccepted.kind", prop(schemas, "EdXMLAccepted", "kind"), []any{envelope.KindDocument, envelope.KindStatus}},
		{"Origin", schemas["Origin"], []any{wire.OriginSender, wire.OriginHub}},
		{"StatusItem.format", prop(schemas, "StatusItem", "format"), []any{wire.FormatEdXML}},
		{"Attachment.content_type", prop(schemas, "Attachment", "content_type"), contentTypes()},
		{"Metadata.version", prop(schemas, "Metadata", "version"), []any{document.SchemaVersion}},
		{"Hello.version", prop(schemas, "Hello", "version"), []any{wire.Version}},
	}
	for _, e := range enums {
		var got []any
		for _, c := range oneOfConsts(t, e.got) {
			got = append(got, c["const"])
		}
		if !slices.Equal(got, e.want) {
			t.Errorf("%s is %v in the schema, %v in Go", e.where, got, e.want)
		}
	}
}

// contentTypes are the attachment types envelope knows, PDF first.
func contentTypes() []any {
	var out []any
	for _, t := range envelope.Types() {
		out = append(out, t.ContentType)
	}
	return out
}

func prop(schemas map[string]map[string]any, schema, name string) map[string]any {
	p, _ := schemas[schema]["properties"].(map[string]any)
	v, _ := p[name].(map[string]any)
	return v
}

// TestOpenAPILimits compares the schema's limits with the constants that
// the hub enforces.
func TestOpenAPILimits(t *testing.T) {
	schemas := loadOpenAPI(t).Components.Schemas
	item := func(schema, name string) map[string]any {
		v, _ := prop(schemas, schema, name)["items"].(map[string]any)
		return v
	}
	limits := []struct {
		where   string
		schema  map[string]any
		keyword string
		want    int
	}{
		{"Metadata.subject", prop(schemas, "Metadata", "subject"), "maxLength", document.MaxSubject},
		{"Metadata.code_number", prop(schemas, "Metadata", "code_number"), "maxLength", document.MaxCodeNumber},
		{"Metadata.code_notation", prop(schemas, "Metadata", "code_notation"), "maxLength", document.MaxCodeNotation},
		{"Metadata.type_name", prop(schemas, "Metadata", "type_name"), "maxLength", document.MaxTypeName},
		{"Metadata.to_places[]", item("Metadata", "to_places"), "maxLength", document.MaxToPlace},
		{"Metadata.appendixes[]", item("Metadata", "appendixes"), "maxLength", document.MaxAppendix},
		{"Organ.name", prop(schemas, "Organ", "name"), "maxLength", document.MaxOrganName},
		{"Recipient.name", prop(schemas, "Recipient", "name"), "maxLength", document.MaxOrganName},
		{"Promulgation.place", prop(schemas, "Promulgation", "place"), "maxLength", document.MaxPlace},
		{"Signer.competence", prop(schemas, "Signer", "competence"), "maxLength", document.MaxCompetence},
		{"Signer.position", prop(schemas, "Signer", "position"), "maxLength", document.MaxPosition},
		{"Signer.full_name", prop(schemas, "Signer", "full_name"), "maxLength", document.MaxFullName},
		{"Business.reason", prop(schemas, "Business", "reason"), "maxLength", document.MaxReason},
		{"StatusUpdate.description", prop(schemas, "StatusUpdate", "description"), "maxLength", document.MaxDescription},
		{"StatusUpdate.reason", prop(schemas, "StatusUpdate", "reason"), "maxLength", document.MaxReason},
		{"StatusUpdate.staff", prop(schemas, "StatusUpdate", "staff"), "maxLength", document.MaxStaff},
		{"ReceiptPayload.reason", prop(schemas, "ReceiptPayload", "reason"), "maxLength", document.MaxReason},
		{"Refusal.reason", prop(schemas, "Refusal", "reason"), "maxLength", document.MaxReason},
		{"Attachment.name", prop(schemas, "Attachment", "name"), "maxLength", envelope.MaxAttachmentName},
		{"Attachment.description", prop(schemas, "Attachment", "description"), "maxLength", document.MaxDescription},
		{"DocumentPayload.attachments", prop(schemas, "DocumentPayload", "attachments"), "maxItems", envelope.MaxAttachments},
		{"AckStatuses.cursors", prop(schemas, "AckStatuses", "cursors"), "maxItems", wire.MaxPageSize},
	}
	for _, l := range limits {
		if got := l.schema[l.keyword]; got != l.want {
			t.Errorf("%s: %s %v in the schema, %d in Go", l.where, l.keyword, got, l.want)
		}
	}
}

// TestOpenAPIWireTypes fails when a struct type of package wire has no
// schema: every body the API speaks is in the document.
func TestOpenAPIWireTypes(t *testing.T) {
	described := map[string]bool{}
	for _, typ := range schemaOf {
		if typ.PkgPath() == "lienthong/shared/wire" {
			described[typ.Name()] = true
		}
	}
	fset := token.NewFileSet()
	n := 0
	for _, file := range []string{"wire.go", "errors.go"} {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			ts, ok := node.(*ast.TypeSpec)
			if !ok || !ts.Name.IsExported() {
				return true
			}
			if _, isStruct := ts.Type.(*ast.StructType); isStruct {
				n++
				if !described[ts.Name.Name] {
					t.Errorf("wire.%s has no schema in openapi.yaml (add it, and to schemaOf)", ts.Name.Name)
				}
			}
			return true
		})
	}
	if n < 30 {
		t.Fatalf("found %d struct types in package wire", n)
	}
}

// TestOpenAPIPaths fails when a path of package wire is not in the
// document or the document has a path package wire does not.
func TestOpenAPIPaths(t *testing.T) {
	doc := loadOpenAPI(t)
	fset := token.NewFileSet()
	want := map[string]string{}
	for _, file := range []string{"wire.go", "openapi.go"} {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Path") || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, _ := strconv.Unquote(lit.Value)
					want[v] = name.Name
				}
			}
			return true
		})
	}
	if len(want) < 20 {
		t.Fatalf("found %d Path constants in package wire", len(want))
	}
	for path, name := range want {
		if _, ok := doc.Paths[path]; !ok {
			t.Errorf("wire.%s (%s) is not in openapi.yaml", name, path)
		}
	}
	for path := range doc.Paths {
		if _, ok := want[path]; !ok {
			t.Errorf("openapi.yaml has %s, package wire has no such path", path)
		}
	}
}
