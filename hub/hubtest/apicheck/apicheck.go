// Package apicheck checks a hub's traffic against the API's own
// description, the OpenAPI document of package wire (wire.OpenAPI): a
// Recorder wraps a hub's handler and validates every request the hub
// accepted and every answer it gave against the document's JSON Schemas,
// packets' payloads included (they are base64 JSON described with
// contentSchema). Package hubtest puts one over every hub it starts and
// fails the test that started the hub on a mismatch; the document is read
// and its schemas compiled once per process, shared by every Recorder, and
// the calls that any Recorder saw answered with success are tallied for the
// process (Unseen), so that a package can ask which calls its tests never
// reached. Proxy puts a Recorder in front of a hub running as its own
// process.
package apicheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
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
		if req.Body != nil && isJSON(req.Header.Get("Content-Type")) {
			req.Body = struct {
				io.Reader
				io.Closer
			}{io.TeeReader(req.Body, in), req.Body}
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
		r.checkRequest(where, op, req.Header.Get("Content-Type"), in.buf.Bytes())
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

func (r *Recorder) checkRequest(where string, op operation, contentType string, body []byte) {
	rb, _ := op.op["requestBody"].(map[string]any)
	content, _ := rb["content"].(map[string]any)
	mt, _, _ := mime.ParseMediaType(contentType)
	if _, ok := content[mt]; !ok {
		r.fail("%s: a request body of type %q, the document takes %v", where, contentType, keys(content))
		return
	}
	r.validate(where+" (request)", op.pointer+"/requestBody/content/"+escape(mt)+"/schema", body)
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

// capture keeps the first limit bytes written to it.
type capture struct {
	buf   bytes.Buffer
	n     int
	limit int
	over  bool
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
