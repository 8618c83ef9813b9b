package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"lienthong/certs"
	"lienthong/internal/cli"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
	"lienthong/shared/xmlsig"
)

var edxmlShowCmd = &cli.Command{
	Name:    "edxml show",
	Args:    "FILE.edxml",
	Summary: "show what an edXML packet maps to, and check its XML signature",
	Help: `Reads an edXML packet (QCVN 102:2016, or the older e-doc.vn form) from any
system without filing it: no store, no hub. Prints every field it maps to,
the trace, the attachments with their sizes and SHA-256, the elements kept
as they were (extras), the XML signature check and every deviation edxml
accepted, with its element's path.

The signature is checked when there is one: the signer, and with --roots
whether its chain leads to those roots ("verified"), to none of them
("not-under-roots": a system under another CA, still shown), or is broken
under them ("invalid": expired, revoked, not a document signer); without
--roots the chain is "not-checked". SHA-1 is reported as weak, or refused
with --refuse-weak.

Exit status: 0 when the packet was read and its signature, if any, matches
and is not invalid; 1 when the packet cannot be read, or its signature does
not match it (tampered), or its signer's chain is invalid under --roots.

With --json the output is one JSON object, a stable shape:

  {"kind": "document"|"status", "legacy": bool, "size": bytes,
   "document": {"metadata": {...the document model's JSON...},
                "trace": [{"organ", "time"}],
                "attachments": [{"content_id", "name", "content_type",
                  "description", "included", "size", "sha256"}],
                "extras": [{"path", "name", "xml"} | {"path", "attr", "value"}]},
   "status": {"update": {...the status model's JSON...}, "element",
              "extras": [...]},
   "signature": {"present": bool, "valid": bool, "error", "signer",
                 "serial", "trust": "verified"|"not-under-roots"|"invalid"|
                 "not-checked", "trust_detail", "chain": [subjects],
                 "signature_method", "digest_method", "canonicalization",
                 "warnings": [{"kind", "detail"}]},
   "warnings": [{"path", "kind", "detail"}],
   "error": "why the packet was refused" (only then)}

Fields that are empty are left out; "warnings" lists are always there.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		asJSON := fs.Bool("json", false, "print one JSON object (shape above)")
		rootFile := fs.String("roots", "", "check the signer's chain against the roots in PEM `file`")
		refuseWeak := fs.Bool("refuse-weak", false, "refuse SHA-1 signatures instead of warning")
		return func(env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give one edXML file")
			}
			opts := xmlsig.Options{RefuseWeak: *refuseWeak}
			if *rootFile != "" {
				roots, err := certs.ReadCertificates(*rootFile)
				if err != nil {
					return fmt.Errorf("read roots: %w", err)
				}
				if opts.Verifier, err = certs.NewVerifier(roots); err != nil {
					return fmt.Errorf("read roots: %w", err)
				}
			}
			return edxmlShow(env.Stdout, args[0], opts, *asJSON)
		}
	},
}

// The JSON shape of edxml show (documented in its help).
type (
	edxmlReport struct {
		Kind      string          `json:"kind,omitempty"`
		Legacy    bool            `json:"legacy"`
		Size      int64           `json:"size"`
		Document  *edxmlDocument  `json:"document,omitempty"`
		Status    *edxmlStatus    `json:"status,omitempty"`
		Signature *edxmlSignature `json:"signature,omitempty"`
		Warnings  []edxmlWarning  `json:"warnings"`
		Error     string          `json:"error,omitempty"`
	}
	edxmlDocument struct {
		Metadata    document.Metadata `json:"metadata"`
		Trace       []edxmlHop        `json:"trace"`
		Attachments []edxmlAttachment `json:"attachments"`
		Extras      []edxmlExtra      `json:"extras"`
	}
	edxmlStatus struct {
		Update  document.StatusUpdate `json:"update"`
		Element string                `json:"element"`
		Extras  []edxmlExtra          `json:"extras"`
	}
	edxmlHop struct {
		Organ string    `json:"organ"`
		Time  time.Time `json:"time"`
	}
	edxmlAttachment struct {
		ContentID   string `json:"content_id"`
		Name        string `json:"name,omitempty"`
		ContentType string `json:"content_type,omitempty"`
		Description string `json:"description,omitempty"`
		Included    bool   `json:"included"`
		Size        int64  `json:"size"`
		SHA256      string `json:"sha256,omitempty"`
	}
	edxmlExtra struct {
		Path  string `json:"path"`
		Name  string `json:"name,omitempty"`
		XML   string `json:"xml,omitempty"`
		Attr  string `json:"attr,omitempty"`
		Value string `json:"value,omitempty"`
	}
	edxmlSignature struct {
		Present          bool           `json:"present"`
		Valid            bool           `json:"valid"`
		Error            string         `json:"error,omitempty"`
		Signer           string         `json:"signer,omitempty"`
		Serial           string         `json:"serial,omitempty"`
		Trust            string         `json:"trust,omitempty"`
		TrustDetail      string         `json:"trust_detail,omitempty"`
		Chain            []string       `json:"chain,omitempty"`
		SignatureMethod  string         `json:"signature_method,omitempty"`
		DigestMethod     string         `json:"digest_method,omitempty"`
		Canonicalization string         `json:"canonicalization,omitempty"`
		Warnings         []edxmlWarning `json:"warnings"`
	}
	edxmlWarning struct {
		Path   string `json:"path,omitempty"`
		Kind   string `json:"kind"`
		Detail string `json:"detail"`
	}
)

// edxmlShow reads the packet in file, checks its signature and prints
// the report; a packet that cannot be read, a signature that does not
// match and an invalid chain are errors after the report.
func edxmlShow(stdout io.Writer, file string, opts xmlsig.Options, asJSON bool) error {
	data, err := readPacketFile(file)
	if err != nil {
		return err
	}
	rep, failure := edxmlCheck(data, opts)
	if asJSON {
		if failure != nil {
			rep.Error = failure.Error()
		}
		if err := writeJSON(stdout, rep); err != nil {
			return err
		}
	} else if failure == nil || rep.Kind != "" {
		printEdxml(stdout, rep)
	}
	if failure != nil {
		return fmt.Errorf("%s: %w", file, failure)
	}
	return nil
}

// readPacketFile reads a packet, refusing one over edxml's size limit
// before reading it whole.
func readPacketFile(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, edxml.DefaultMaxPacketSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > edxml.DefaultMaxPacketSize {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", file, edxml.ErrTooLarge, edxml.DefaultMaxPacketSize)
	}
	return data, nil
}

// edxmlCheck maps the packet and checks its signature. The error is why
// the packet fails (unreadable, tampered, invalid chain); the report holds
// what could be read.
func edxmlCheck(data []byte, opts xmlsig.Options) (*edxmlReport, error) {
	rep := &edxmlReport{Size: int64(len(data)), Warnings: []edxmlWarning{}}
	// Attachments are discarded: edxml reports their size and SHA-256.
	pkt, err := edxml.Read(bytes.NewReader(data), edxml.Options{})
	if err != nil {
		return rep, err
	}
	rep.Legacy = pkt.Legacy
	for _, w := range pkt.Warnings {
		rep.Warnings = append(rep.Warnings, edxmlWarning{Path: w.Path, Kind: string(w.Kind), Detail: w.Detail})
	}
	switch {
	case pkt.Document != nil:
		rep.Kind = "document"
		d := &edxmlDocument{Metadata: pkt.Document.Metadata, Trace: []edxmlHop{}, Attachments: []edxmlAttachment{}, Extras: extrasJSON(pkt.Document.Extras)}
		for _, h := range pkt.Document.Trace {
			d.Trace = append(d.Trace, edxmlHop{h.Organ, h.Time})
		}
		for _, a := range pkt.Document.Attachments {
			j := edxmlAttachment{ContentID: a.ContentID, Name: a.Name, ContentType: a.ContentType, Description: a.Description, Included: a.Included, Size: a.Size}
			if a.Included {
				j.SHA256 = hex.EncodeToString(a.SHA256[:])
			}
			d.Attachments = append(d.Attachments, j)
		}
		rep.Document = d
	case pkt.Status != nil:
		rep.Kind = "status"
		rep.Status = &edxmlStatus{Update: pkt.Status.Update, Element: pkt.Status.Element, Extras: extrasJSON(pkt.Status.Extras)}
	}
	sig := &edxmlSignature{Warnings: []edxmlWarning{}}
	rep.Signature = sig
	// A Signature where edxml does not look for one (moved into the
	// message, say) is checked too, and refused.
	if pkt.Signature == nil && !bytes.Contains(data, []byte("http://www.w3.org/2000/09/xmldsig#")) {
		return rep, nil
	}
	res, err := xmlsig.Verify(data, opts)
	if errors.Is(err, xmlsig.ErrUnsigned) {
		return rep, nil
	}
	sig.Present = true
	if err != nil {
		sig.Error = err.Error()
		if errors.Is(err, xmlsig.ErrBadSignature) {
			return rep, fmt.Errorf("%w: the packet was changed after it was signed, or the signature was", err)
		}
		return rep, err
	}
	sig.Valid = true
	sig.Signer = res.Signer.Subject.String()
	sig.Serial = fmt.Sprintf("%X", res.Signer.SerialNumber)
	sig.Trust, sig.TrustDetail = string(res.Trust), res.TrustDetail
	sig.SignatureMethod, sig.DigestMethod, sig.Canonicalization = res.SignatureMethod, res.DigestMethod, res.Canonicalization
	for _, c := range res.Chain {
		sig.Chain = append(sig.Chain, c.Subject.String())
	}
	for _, w := range res.Warnings {
		sig.Warnings = append(sig.Warnings, edxmlWarning{Kind: string(w.Kind), Detail: w.Detail})
	}
	if res.Trust == xmlsig.TrustInvalid {
		return rep, fmt.Errorf("the signer's certificate is not valid under the roots: %s", res.TrustDetail)
	}
	return rep, nil
}

func extrasJSON(es []edxml.Extra) []edxmlExtra {
	out := []edxmlExtra{}
	for _, e := range es {
		out = append(out, edxmlExtra{Path: e.Path, Name: e.Name, XML: e.XML, Attr: e.Attr, Value: e.Value})
	}
	return out
}

// printEdxml prints the report as text: the model's fields one per line
// ("key.sub: value", from its JSON form, so none is left out), then the
// attachments, the signature and the warnings.
func printEdxml(w io.Writer, rep *edxmlReport) {
	form := "QCVN 102:2016"
	if rep.Legacy {
		form = "older e-doc.vn form"
	}
	fmt.Fprintf(w, "packet: %s (%s), %d bytes\n", rep.Kind, form, rep.Size)
	switch {
	case rep.Document != nil:
		d := rep.Document
		printFields(w, "", d.Metadata)
		for i, h := range d.Trace {
			fmt.Fprintf(w, "trace[%d]: %s at %s\n", i+1, h.Organ, h.Time.Format(time.RFC3339))
		}
		for i, a := range d.Attachments {
			if !a.Included {
				fmt.Fprintf(w, "attachment[%d]: %s %q (%s), not in the packet\n", i+1, a.ContentID, a.Name, a.ContentType)
				continue
			}
			fmt.Fprintf(w, "attachment[%d]: %s %q (%s), %d bytes, sha256 %s\n", i+1, a.ContentID, a.Name, a.ContentType, a.Size, a.SHA256)
		}
		printExtras(w, d.Extras)
	case rep.Status != nil:
		printFields(w, "status.", rep.Status.Update)
		printExtras(w, rep.Status.Extras)
	}
	if s := rep.Signature; s != nil {
		switch {
		case !s.Present:
			fmt.Fprintln(w, "signature: none")
		case !s.Valid:
			fmt.Fprintf(w, "signature: INVALID: %s\n", s.Error)
		default:
			fmt.Fprintf(w, "signature: valid, by %s (serial %s)\n", s.Signer, s.Serial)
			fmt.Fprintf(w, "signature trust: %s", s.Trust)
			if s.TrustDetail != "" {
				fmt.Fprintf(w, " (%s)", s.TrustDetail)
			}
			fmt.Fprintln(w)
			for i, c := range s.Chain {
				fmt.Fprintf(w, "signature chain[%d]: %s\n", i+1, c)
			}
			fmt.Fprintf(w, "signature algorithms: %s, %s, %s\n", s.SignatureMethod, s.DigestMethod, s.Canonicalization)
			for _, x := range s.Warnings {
				fmt.Fprintf(w, "signature warning: %s: %s\n", x.Kind, x.Detail)
			}
		}
	}
	for _, x := range rep.Warnings {
		if x.Path == "" {
			fmt.Fprintf(w, "warning: %s: %s\n", x.Kind, x.Detail)
			continue
		}
		fmt.Fprintf(w, "warning: %s %s: %s\n", x.Kind, x.Path, x.Detail)
	}
}

func printExtras(w io.Writer, es []edxmlExtra) {
	for _, e := range es {
		if e.Attr != "" {
			fmt.Fprintf(w, "kept: %s @%s=%q\n", e.Path, e.Attr, e.Value)
			continue
		}
		fmt.Fprintf(w, "kept: %s %s\n", e.Path, e.XML)
	}
}

// printFields prints v's JSON form flattened, one "key: value" line per
// non-empty leaf, keys in the order of the JSON object's fields sorted.
func printFields(w io.Writer, prefix string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintf(w, "%s: %v\n", strings.TrimSuffix(prefix, "."), err)
		return
	}
	var tree any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return
	}
	flatten(w, prefix, tree)
}

func flatten(w io.Writer, key string, v any) {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			flatten(w, key+k+".", t[k])
		}
	case []any:
		for i, x := range t {
			flatten(w, fmt.Sprintf("%s[%d].", strings.TrimSuffix(key, "."), i+1), x)
		}
	case nil:
	case string:
		if t != "" {
			fmt.Fprintf(w, "%s: %s\n", strings.TrimSuffix(key, "."), t)
		}
	default:
		fmt.Fprintf(w, "%s: %v\n", strings.TrimSuffix(key, "."), t)
	}
}
