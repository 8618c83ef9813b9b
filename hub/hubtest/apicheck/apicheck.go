// Package apicheck checks a hub's traffic against the API's own
// description, the OpenAPI document of package wire (wire.OpenAPI): a
// Recorder wraps a hub's handler and validates every request the hub
// accepted and every answer it gave against the document's JSON Schemas,
// packets' payloads included (they are base64 JSON described with
// contentSchema), and multipart/form-data requests part by part (a JSON
// part against its property's schema, the others as binary strings).
// Package hubtest puts one over every hub it starts and
// fails the test that started the hub on a mismatch; the document is read
// and its schemas compiled once per process, shared by every Recorder, and
// the calls that any Recorder saw answered with success are tallied for the
// process (Unseen), so that a package can ask which calls its tests never
// reached. Proxy puts a Recorder in front of a hub running as its own
// process.
package apicheck

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"lienthong/shared/wire"
)

// docURL names the OpenAPI document as a schema resource.
const docURL = "https://lienthong.invalid/openapi.json"

// maxCapture bounds the bytes of one body a Recorder keeps; a longer body
// is not validated (packets are at most 2 MiB, answers at most 8 MiB of
// packets).
const maxCapture = 16 << 20

// document is the compiled OpenAPI document, one per process.
type document struct {
	compiler *jsonschema.Compiler
	ops      []operation
	// schemaNames are the document's components/schemas.
	schemaNames []string

	mu      sync.Mutex
	schemas map[string]*jsonschema.Schema
	seen    map[string]int // operation key → answers with a 2xx or 3xx status, every Recorder's
	checked int            // exchanges validated, every Recorder's
}

var (
	loadOnce sync.Once
	loaded   *document
	loadErr  error
)

// doc reads the document once per process; its schemas are compiled
// when first used.
func doc() (*document, error) {
	loadOnce.Do(func() { loaded, loadErr = load() })
	return loaded, loadErr
}

// Recorder validates one hub's traffic against wire.OpenAPI. It is safe
// for concurrent use.
type Recorder struct {
	doc *document

	mu       sync.Mutex
	problems []string
	checked  int
}

type operation struct {
	method   string // GET, POST...
	path     string // the document's template, /v1/messages/{id}
	segments []string
	pointer  string // JSON pointer of the operation in the document
	op       map[string]any
}

// Key names an operation as "GET /v1/hello".
func (o operation) key() string { return o.method + " " + o.path }

// NewRecorder returns a Recorder with no traffic seen; the first call in a
// process reads the document.
func NewRecorder() (*Recorder, error) {
	d, err := doc()
	if err != nil {
		return nil, err
	}
	return &Recorder{doc: d}, nil
}

func load() (*document, error) {
	var tree any
	if err := yaml.Unmarshal(wire.OpenAPI, &tree); err != nil {
		return nil, fmt.Errorf("read the OpenAPI document: %w", err)
	}
	js, err := json.Marshal(tree)
	if err != nil {
		return nil, fmt.Errorf("the OpenAPI document as JSON: %w", err)
	}
	root, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.AssertContent()
	if err := c.AddResource(docURL, root); err != nil {
		return nil, err
	}
	r := &document{compiler: c, schemas: map[string]*jsonschema.Schema{}, seen: map[string]int{}}
	components, _ := root.(map[string]any)["components"].(map[string]any)
	for name := range components["schemas"].(map[string]any) {
		r.schemaNames = append(r.schemaNames, name)
	}
	paths, _ := root.(map[string]any)["paths"].(map[string]any)
	for path, item := range paths {
		for method, op := range item.(map[string]any) {
			if method == "parameters" {
				continue
			}
			r.ops = append(r.ops, operation{
				method: strings.ToUpper(method), path: path, segments: strings.Split(path, "/"),
				pointer: "/paths/" + escape(path) + "/" + method, op: op.(map[string]any),
			})
		}
	}
	return r, nil
}

// escape escapes a JSON pointer token.
func escape(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1") }

// Operations lists the document's calls as "METHOD /path".
func Operations() ([]string, error) {
	d, err := doc()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range d.ops {
		out = append(out, o.key())
	}
	slices.Sort(out)
	return out, nil
}

// find matches a request to an operation of the document.
func (d *document) find(method, path string) (operation, bool) {
	segs := strings.Split(path, "/")
	for _, o := range d.ops {
		if o.method != method || len(o.segments) != len(segs) {
			continue
		}
		ok := true
		for i, s := range o.segments {
			if !(strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}")) && s != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return o, true
		}
	}
	return operation{}, false
}

// schema compiles the schema at pointer once; a Compiler is not safe for
// concurrent use, a compiled Schema is.
func (d *document) schema(pointer string) (*jsonschema.Schema, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.schemas[pointer]; ok {
		return s, nil
	}
	s, err := d.compiler.Compile(docURL + "#" + pointer)
	if err != nil {
		return nil, err
	}
	d.schemas[pointer] = s
	return s, nil
}

func (r *Recorder) fail(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// Problems returns every mismatch seen so far.
func (r *Recorder) Problems() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.problems)
}

// maxReported bounds the mismatches Report reports.
const maxReported = 20

// Report fails t with the mismatches seen so far (the first 20 of them).
func (r *Recorder) Report(t testing.TB) {
	problems := r.Problems()
	for i, p := range problems {
		if i == maxReported {
			t.Errorf("API schema: and %d more", len(problems)-i)
			return
		}
		t.Errorf("API schema: %s", p)
	}
}

// Checked is how many exchanges this Recorder validated.
func (r *Recorder) Checked() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.checked
}

// Checked is how many exchanges every Recorder of the process validated.
func Checked() int {
	d, err := doc()
	if err != nil {
		return 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.checked
}

// Unseen lists the document's calls that no Recorder of the process saw
// answered with success, less those exempt names with the reason they are
// not exercised.
func Unseen(exempt map[string]string) ([]string, error) {
	d, err := doc()
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, o := range d.ops {
		if d.seen[o.key()] == 0 && exempt[o.key()] == "" {
			out = append(out, o.key())
		}
	}
	slices.Sort(out)
	return out, nil
}

// Compile compiles every schema the document names, components and the
// bodies of every operation, and reports the first that fails.
func Compile() error {
	d, err := doc()
	if err != nil {
		return err
	}
	var pointers []string
	for _, o := range d.ops {
		if rb, ok := o.op["requestBody"].(map[string]any); ok {
			for mt := range rb["content"].(map[string]any) {
				pointers = append(pointers, o.pointer+"/requestBody/content/"+escape(mt)+"/schema")
			}
		}
		for status, resp := range o.op["responses"].(map[string]any) {
			content, _ := resp.(map[string]any)["content"].(map[string]any)
			for mt := range content {
				pointers = append(pointers, o.pointer+"/responses/"+status+"/content/"+escape(mt)+"/schema")
			}
		}
	}
	for _, name := range d.schemaNames {
		pointers = append(pointers, "/components/schemas/"+escape(name))
	}
	for _, p := range pointers {
		if _, err := d.schema(p); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

// Wrap returns h with every exchange checked against the document.
func (r *Recorder) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		in := &capture{limit: maxCapture}
		if ct := req.Header.Get("Content-Type"); req.Body != nil && (isJSON(ct) || isMultipart(ct)) {
			req.Body = struct {
				io.Reader
				io.Closer
			}{&teeReader{r: req.Body, c: in}, req.Body}
		}
		out := &recordingWriter{ResponseWriter: w, body: capture{limit: maxCapture}}
		h.ServeHTTP(out, req)
		r.check(req, in, out)
	})
}

// check validates one exchange.
func (r *Recorder) check(req *http.Request, in *capture, out *recordingWriter) {
	status := out.status
	if status == 0 {
		status = http.StatusOK
	}
	where := fmt.Sprintf("%s %s → %d", req.Method, req.URL.Path, status)
	if isJSON(out.Header().Get("Content-Type")) && status != http.StatusNotModified {
		if cl := out.Header().Get("Content-Length"); cl != strconv.Itoa(out.body.n) {
			r.fail("%s: a JSON answer of %d bytes with Content-Length %q", where, out.body.n, cl)
		}
	}
	op, ok := r.doc.find(req.Method, req.URL.Path)
	if !ok {
		// Not a call of the document: it must be an Error, not_found or
		// bad_request (a method the path does not take).
		r.checkError(where, "/components/responses/Error", status, out)
		return
	}
	if out.Header().Get("X-Content-Type-Options") != "nosniff" {
		r.fail("%s: no X-Content-Type-Options: nosniff", where)
	}
	if req.ProtoMajor < 3 && out.Header().Get("Alt-Svc") == "" && req.TLS != nil {
		r.fail("%s: an answer over TCP without Alt-Svc", where)
	}
	r.mu.Lock()
	r.checked++
	r.mu.Unlock()
	r.doc.mu.Lock()
	r.doc.checked++
	if status < 400 {
		r.doc.seen[op.key()]++
	}
	r.doc.mu.Unlock()
	if status < 300 && in.n > 0 && !in.over {
		r.checkRequest(where, op, req.Header.Get("Content-Type"), in)
	}
	responses, _ := op.op["responses"].(map[string]any)
	resp, ok := responses[strconv.Itoa(status)].(map[string]any)
	pointer := op.pointer + "/responses/" + strconv.Itoa(status)
	if !ok {
		if status < 400 {
			r.fail("%s: the document has no answer %d for %s", where, status, op.key())
			return
		}
		r.checkError(where, "/components/responses/Error", status, out)
		return
	}
	if ref, _ := resp["$ref"].(string); ref != "" {
		r.checkError(where, strings.TrimPrefix(ref, "#"), status, out)
		return
	}
	r.checkBody(where, pointer, resp, out)
}

func (r *Recorder) checkRequest(where string, op operation, contentType string, in *capture) {
	rb, _ := op.op["requestBody"].(map[string]any)
	content, _ := rb["content"].(map[string]any)
	mt, params, _ := mime.ParseMediaType(contentType)
	media, ok := content[mt].(map[string]any)
	if !ok {
		r.fail("%s: a request body of type %q, the document takes %v", where, contentType, keys(content))
		return
	}
	pointer := op.pointer + "/requestBody/content/" + escape(mt)
	if mt == contentMultipart {
		r.checkMultipart(where+" (request)", pointer, media, params["boundary"], in)
		return
	}
	r.validate(where+" (request)", pointer+"/schema", in.buf.Bytes())
}

const contentMultipart = "multipart/form-data"

// checkMultipart validates a multipart/form-data request body against its
// media type object (media, at pointer): each part's name is a property
// of the schema and its Content-Type, where it has one, one that the
// encoding lists; a part whose encoding is JSON is parsed, any other is
// the string of its bytes; the parts of an array property make its
// items; the object they make is validated against the schema. And the
// hub's own rules for POST /v1/messages: the packet part first, each
// attachment part's filename the SHA-256 of its bytes, once, named by the
// packet with that size, and at most wire.MaxInline attachment bytes.
// A body the handler did not read to its end is checked as far as whole
// parts arrived.
func (r *Recorder) checkMultipart(where, pointer string, media map[string]any, boundary string, in *capture) {
	if boundary == "" {
		r.fail("%s: multipart/form-data without a boundary", where)
		return
	}
	schema, _ := media["schema"].(map[string]any)
	props, _ := schema["properties"].(map[string]any)
	encoding, _ := media["encoding"].(map[string]any)
	values := map[string][]any{}
	var order []string
	inline := map[string]int{} // attachment parts: SHA-256 → length
	var inlineBytes int
	mr := multipart.NewReader(bytes.NewReader(in.buf.Bytes()), boundary)
	for i := 0; ; i++ {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		var data []byte
		if err == nil {
			data, err = io.ReadAll(p)
		}
		if err != nil {
			if in.eof {
				r.fail("%s: not a multipart/form-data body: %v", where, err)
			}
			break // the handler stopped reading here: check the parts it read
		}
		name := p.FormName()
		if name == "" {
			r.fail("%s: part %d has no form-data name", where, i)
			continue
		}
		if i == 0 && props[wire.PartPacket] != nil && name != wire.PartPacket {
			r.fail("%s: the first part is %q, not %q", where, name, wire.PartPacket)
		}
		enc, _ := encoding[name].(map[string]any)
		declared, _ := enc["contentType"].(string)
		if ct := p.Header.Get("Content-Type"); ct != "" && declared != "" && !mediaTypeIn(ct, declared) {
			r.fail("%s: part %q of type %q, the document says %s", where, name, ct, declared)
		}
		var v any = string(data)
		if isJSON(firstMediaType(declared)) {
			if v, err = jsonschema.UnmarshalJSON(bytes.NewReader(data)); err != nil {
				r.fail("%s: part %q is not JSON: %v", where, name, err)
				continue
			}
		}
		if name == wire.PartAttachment {
			sum := sha256.Sum256(data)
			switch fn := p.FileName(); {
			case !validSHA256(fn):
				r.fail("%s: an attachment part's filename %q is not a lower-case SHA-256", where, fn)
			case fn != hex.EncodeToString(sum[:]):
				r.fail("%s: attachment part %s holds bytes of SHA-256 %x", where, fn, sum)
			default:
				if _, dup := inline[fn]; dup {
					r.fail("%s: two attachment parts of %s", where, fn)
				}
				inline[fn] = len(data)
			}
			inlineBytes += len(data)
		}
		if values[name] == nil {
			order = append(order, name)
		}
		values[name] = append(values[name], v)
	}
	if inlineBytes > wire.MaxInline {
		r.fail("%s: %d bytes of attachment parts, over wire.MaxInline (%d)", where, inlineBytes, wire.MaxInline)
	}
	instance := map[string]any{}
	for _, name := range order {
		vs := values[name]
		if prop, _ := props[name].(map[string]any); prop["type"] == "array" {
			instance[name] = vs
			continue
		}
		if len(vs) > 1 {
			r.fail("%s: %d parts named %q, the document takes one", where, len(vs), name)
		}
		instance[name] = vs[0]
	}
	s, err := r.doc.schema(pointer + "/schema")
	if err != nil {
		r.fail("%s: schema %s: %v", where, pointer, err)
		return
	}
	if err := s.Validate(instance); err != nil {
		r.fail("%s: %v", where, err)
		return
	}
	if len(inline) > 0 {
		r.checkInline(where, values[wire.PartPacket], inline)
	}
}

// checkInline checks that each attachment part is one the packet names,
// with the size it names.
func (r *Recorder) checkInline(where string, packet []any, inline map[string]int) {
	if len(packet) != 1 {
		return
	}
	js, err := json.Marshal(packet[0])
	if err != nil {
		r.fail("%s: the packet part: %v", where, err)
		return
	}
	var p struct {
		Payload []byte `json:"payload"`
	}
	var d struct {
		Attachments []struct {
			SHA256 string `json:"sha256"`
			Size   int    `json:"size"`
		} `json:"attachments"`
	}
	if err := errors.Join(json.Unmarshal(js, &p), json.Unmarshal(p.Payload, &d)); err != nil {
		r.fail("%s: the packet part's payload: %v", where, err)
		return
	}
	named := map[string]int{}
	for _, a := range d.Attachments {
		named[a.SHA256] = a.Size
	}
	for sha, n := range inline {
		size, ok := named[sha]
		switch {
		case !ok:
			r.fail("%s: attachment part %s is not one the packet names", where, sha)
		case size != n:
			r.fail("%s: attachment part %s holds %d bytes, the packet says %d", where, sha, n, size)
		}
	}
}

// mediaTypeIn reports whether contentType is one of list, an encoding
// object's contentType: media types separated by commas, type/* and */*
// wildcards.
func mediaTypeIn(contentType, list string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	for _, want := range strings.Split(list, ",") {
		want = strings.TrimSpace(want)
		typ, _, _ := strings.Cut(mt, "/")
		if want == mt || want == "*/*" || want == typ+"/*" {
			return true
		}
	}
	return false
}

// firstMediaType is the first media type of an encoding's contentType.
func firstMediaType(list string) string {
	first, _, _ := strings.Cut(list, ",")
	return strings.TrimSpace(first)
}

// validSHA256 reports 64 lower-case hex digits.
func validSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func (r *Recorder) checkError(where, pointer string, status int, out *recordingWriter) {
	var e wire.Error
	if err := json.Unmarshal(out.body.buf.Bytes(), &e); err != nil {
		r.fail("%s: an error answer that is no Error body: %v", where, err)
		return
	}
	if e.Code.HTTPStatus() != status {
		r.fail("%s: code %s answered with HTTP %d, the document says %d", where, e.Code, status, e.Code.HTTPStatus())
	}
	if e.Code == wire.CodeRateLimited && out.Header().Get("Retry-After") == "" {
		r.fail("%s: %s without Retry-After", where, e.Code)
	}
	r.validate(where, pointer+"/content/application~1json/schema", out.body.buf.Bytes())
}

func (r *Recorder) checkBody(where, pointer string, resp map[string]any, out *recordingWriter) {
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if out.body.n > 0 {
			r.fail("%s: a body where the document says none", where)
		}
		return
	}
	ct := out.Header().Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if _, ok := content[mt]; !ok {
		r.fail("%s: content type %q, the document says %v", where, ct, keys(content))
		return
	}
	if isJSON(mt) && !out.body.over {
		r.validate(where, pointer+"/content/"+escape(mt)+"/schema", out.body.buf.Bytes())
	}
}

func (r *Recorder) validate(where, pointer string, body []byte) {
	s, err := r.doc.schema(pointer)
	if err != nil {
		r.fail("%s: schema %s: %v", where, pointer, err)
		return
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		r.fail("%s: not JSON: %v", where, err)
		return
	}
	if err := s.Validate(v); err != nil {
		r.fail("%s: %v", where, err)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// isJSON reports the media types whose bodies the schemas describe.
func isJSON(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == wire.ContentJSON || mt == wire.ContentPacket
}

// isMultipart reports a multipart/form-data body, checked part by part.
func isMultipart(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == contentMultipart
}

// capture keeps the first limit bytes written to it.
type capture struct {
	buf   bytes.Buffer
	n     int
	limit int
	over  bool
	eof   bool // the body was read to its end (teeReader)
}

// teeReader copies what the handler reads of a request body to a capture
// and notes whether it read to the end.
type teeReader struct {
	r io.Reader
	c *capture
}

func (t *teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.c.Write(p[:n])
	if err == io.EOF {
		t.c.eof = true
	}
	return n, err
}

func (c *capture) Write(p []byte) (int, error) {
	c.n += len(p)
	if c.buf.Len()+len(p) > c.limit {
		c.over = true
	} else {
		c.buf.Write(p)
	}
	return len(p), nil
}

// recordingWriter keeps the status and the body of an answer; Unwrap lets
// http.ResponseController reach the connection's writer.
type recordingWriter struct {
	http.ResponseWriter
	status int
	body   capture
}

func (w *recordingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if isJSON(w.Header().Get("Content-Type")) {
		w.body.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

func (w *recordingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
