package pades

import (
	"fmt"
	"sort"
	"strings"
)

// Change is one object that a later revision adds, replaces or deletes.
type Change struct {
	Object int `json:"object"`
	// Action is "added", "replaced" or "deleted".
	Action string `json:"action"`
	// Kind is what the object is: signature, signature-field, appearance,
	// acroform, catalog, page, annotations, xref-stream, object-stream,
	// validation-data, page-content, annotation or other.
	Kind string `json:"kind"`
	// Page is the 1-based page the change concerns, 0 if none.
	Page        int    `json:"page,omitempty"`
	Allowed     bool   `json:"allowed"`
	Description string `json:"description"`

	// visible marks a signature widget that shows on the page; Verify
	// allows it only when a later signature covers it.
	visible bool
}

// Change kinds.
const (
	KindSignature      = "signature"
	KindSignatureField = "signature-field"
	KindAppearance     = "appearance"
	KindAcroForm       = "acroform"
	KindCatalog        = "catalog"
	KindPage           = "page"
	KindAnnotations    = "annotations"
	KindXRefStream     = "xref-stream"
	KindObjectStream   = "object-stream"
	KindPageContent    = "page-content"
	KindAnnotation     = "annotation"
	KindValidationData = "validation-data"
	KindOther          = "other"
)

const maxAnalysedPages = 100000

// analyzeRevisions compares the signed revision old with the whole
// document cur and classifies every object that differs.
func analyzeRevisions(old, cur *document) ([]Change, error) {
	type diff struct {
		num    int
		action string
	}
	var diffs []diff
	nums := make([]int, 0, len(cur.xref))
	for n := range cur.xref {
		nums = append(nums, n)
	}
	for n := range old.xref {
		if _, ok := cur.xref[n]; !ok {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	for _, n := range nums {
		ce, cok := cur.xref[n]
		oe, ook := old.xref[n]
		cLive := cok && ce.Kind != entryFree
		oLive := ook && oe.Kind != entryFree
		switch {
		case cLive && !oLive:
			diffs = append(diffs, diff{n, "added"})
		case !cLive && oLive:
			diffs = append(diffs, diff{n, "deleted"})
		case cLive && oLive && ce != oe:
			ov, oerr := old.resolve(pdfRef{Num: n, Gen: oe.Gen})
			cv, cerr := cur.resolve(pdfRef{Num: n, Gen: ce.Gen})
			if oerr != nil || cerr != nil || !equalObjects(ov, cv, old.src, cur.src) {
				diffs = append(diffs, diff{n, "replaced"})
			}
		}
	}
	changes := []Change{}
	if cur.root() != old.root() {
		changes = append(changes, Change{Object: cur.root().Num, Action: "replaced", Kind: KindCatalog, Description: "the trailer points at another catalog"})
	}
	if len(diffs) == 0 {
		return changes, nil
	}

	// What the signed revision's pages look like.
	pageOf := map[int]int{}    // page object -> page number
	contentOf := map[int]int{} // content stream -> page number
	annotsOf := map[int]int{}  // indirect /Annots array -> page number
	oldPages, err := old.pages(maxAnalysedPages)
	if err != nil {
		return nil, fmt.Errorf("page tree of the signed revision: %w", err)
	}
	for i, pr := range oldPages {
		pageOf[pr.Num] = i + 1
		pd, err := old.resolveDict(pr)
		if err != nil {
			continue
		}
		switch c := pd["Contents"].(type) {
		case pdfRef:
			contentOf[c.Num] = i + 1
			if a, err := old.resolve(c); err == nil {
				if arr, ok := a.(pdfArray); ok {
					for _, x := range arr {
						if r, ok := x.(pdfRef); ok {
							contentOf[r.Num] = i + 1
						}
					}
				}
			}
		case pdfArray:
			for _, x := range c {
				if r, ok := x.(pdfRef); ok {
					contentOf[r.Num] = i + 1
				}
			}
		}
		if r, ok := pd["Annots"].(pdfRef); ok {
			annotsOf[r.Num] = i + 1
		}
	}
	// Pages of the current revision too, for pages whose /Annots became
	// indirect.
	curPages, _ := cur.pages(maxAnalysedPages)
	for i, pr := range curPages {
		if pd, err := cur.resolveDict(pr); err == nil {
			if r, ok := pd["Annots"].(pdfRef); ok {
				if _, ok := annotsOf[r.Num]; !ok {
					annotsOf[r.Num] = i + 1
				}
			}
		}
	}

	action := map[int]string{}
	for _, df := range diffs {
		action[df.num] = df.action
	}
	a := &analysis{old: old, cur: cur, action: action, oldPages: oldPages}

	// Roots of allowed appearances: the /AP of added signature widgets.
	var apRoots []any
	allowed := map[int]Change{}
	for _, df := range diffs {
		if df.action == "deleted" {
			continue
		}
		v, err := cur.resolve(pdfRef{Num: df.num, Gen: cur.xref[df.num].Gen})
		if err != nil {
			continue
		}
		switch v := v.(type) {
		case *pdfStream:
			switch v.dict.name("Type") {
			case "XRef":
				allowed[df.num] = Change{Kind: KindXRefStream, Description: "cross-reference stream"}
			case "ObjStm":
				allowed[df.num] = Change{Kind: KindObjectStream, Description: "object stream (its objects are checked one by one)"}
			}
		case pdfDict:
			if df.action == "added" && (v.name("Type") == "Sig" || v.name("Type") == "DocTimeStamp") {
				if _, ok := v["ByteRange"]; ok {
					allowed[df.num] = Change{Kind: KindSignature, Description: "signature dictionary"}
				}
				continue
			}
			if a.isSigField(v) {
				ok := df.action == "added"
				if !ok {
					ov, _ := old.resolve(pdfRef{Num: df.num, Gen: old.xref[df.num].Gen})
					od, _ := ov.(pdfDict)
					_, hadV := od["V"]
					ok = od != nil && !hadV && onlyKeysDiffer(od, v, "V", "AP", "Rect")
				}
				if ok {
					allowed[df.num] = Change{Kind: KindSignatureField, Description: "signature field and widget", visible: visibleWidget(cur, v)}
					if ap, ok := v["AP"]; ok {
						apRoots = append(apRoots, ap)
					}
				}
			}
		}
	}
	for _, n := range a.reachable(apRoots) {
		if action[n] == "added" {
			if _, done := allowed[n]; !done {
				allowed[n] = Change{Kind: KindAppearance, Description: "appearance of a signature"}
			}
		}
	}
	// Validation data for long-term signatures (B-LT): the catalog's /DSS
	// dictionary and the certificates, CRLs and OCSP responses it holds.
	if cat, err := cur.catalog(); err == nil && cat["DSS"] != nil {
		if r, ok := cat["DSS"].(pdfRef); ok && action[r.Num] != "" {
			allowed[r.Num] = Change{Kind: KindValidationData, Description: "document security store (validation data)"}
		}
		for _, n := range a.reachable([]any{cat["DSS"]}) {
			if _, done := allowed[n]; !done && action[n] == "added" {
				allowed[n] = Change{Kind: KindValidationData, Description: "validation data (certificate, CRL or OCSP response)"}
			}
		}
	}

	// The AcroForm may be its own object or a dictionary in the catalog;
	// either way its /Fields may be an object of its own.
	acroNum, fieldsNum := -1, -1
	if cat, err := cur.catalog(); err == nil {
		if r, ok := cat["AcroForm"].(pdfRef); ok {
			acroNum = r.Num
		}
		if fr, ok := cur.acroForm()["Fields"].(pdfRef); ok {
			fieldsNum = fr.Num
		}
	}

	for _, df := range diffs {
		if c, ok := allowed[df.num]; ok {
			c.Object, c.Action, c.Allowed = df.num, df.action, true
			c.Description = fmt.Sprintf("object %d %s: %s", df.num, df.action, c.Description)
			changes = append(changes, c)
			continue
		}
		c := Change{Object: df.num, Action: df.action, Kind: KindOther}
		var why string
		switch {
		case df.action == "deleted":
			why = "an object of the signed revision was deleted"
			if p, ok := pageOf[df.num]; ok {
				c.Kind, c.Page = KindPage, p
				why = fmt.Sprintf("page %d was deleted", p)
			}
		case df.num == cur.root().Num:
			c.Kind = KindCatalog
			c.Allowed, why = a.checkCatalog(df.num)
		case df.num == acroNum:
			c.Kind = KindAcroForm
			c.Allowed, why = a.checkAcroFormObject(df.num)
		case df.num == fieldsNum:
			c.Kind = KindAcroForm
			c.Allowed, why = a.checkFieldsObject(df.num)
		case pageOf[df.num] != 0:
			c.Kind, c.Page = KindPage, pageOf[df.num]
			c.Allowed, why = a.checkPage(df.num, c.Page)
		case contentOf[df.num] != 0:
			c.Kind, c.Page = KindPageContent, contentOf[df.num]
			why = fmt.Sprintf("the content of page %d was replaced", c.Page)
		case annotsOf[df.num] != 0:
			c.Kind, c.Page = KindAnnotations, annotsOf[df.num]
			c.Allowed, why = a.checkAnnotsObject(df.num, c.Page)
		default:
			why = a.describe(df.num, df.action)
		}
		if c.Allowed {
			c.Description = fmt.Sprintf("object %d %s: %s", df.num, df.action, why)
		} else {
			c.Description = fmt.Sprintf("object %d %s: %s", df.num, df.action, why)
		}
		changes = append(changes, c)
	}
	return changes, nil
}

type analysis struct {
	old, cur *document
	action   map[int]string
	oldPages []pdfRef
}

// oldAcroForm returns the signed revision's AcroForm dictionary.
func (a *analysis) oldAcroForm() pdfDict {
	cat, err := a.old.catalog()
	if err != nil {
		return nil
	}
	d, _ := a.resolveOld(cat["AcroForm"]).(pdfDict)
	return d
}

func (a *analysis) oldVal(n int) any {
	e, ok := a.old.xref[n]
	if !ok {
		return nil
	}
	v, _ := a.old.resolve(pdfRef{Num: n, Gen: e.Gen})
	return v
}

func (a *analysis) curVal(n int) any {
	e, ok := a.cur.xref[n]
	if !ok {
		return nil
	}
	v, _ := a.cur.resolve(pdfRef{Num: n, Gen: e.Gen})
	return v
}

// isSigField reports a signature field, or a widget whose parent is one.
func (a *analysis) isSigField(d pdfDict) bool {
	if d.name("FT") == "Sig" {
		return true
	}
	if d.name("Subtype") == "Widget" {
		if pr, ok := d["Parent"].(pdfRef); ok {
			if pd, err := a.cur.resolveDict(pr); err == nil && pd.name("FT") == "Sig" {
				return true
			}
		}
	}
	return false
}

// isNewSigWidget reports whether v refers to a signature widget added
// after the signed revision.
func (a *analysis) isNewSigWidget(v any) bool {
	r, ok := v.(pdfRef)
	if !ok || a.action[r.Num] != "added" {
		return false
	}
	d, err := a.cur.resolveDict(r)
	return err == nil && d.name("Subtype") == "Widget" && a.isSigField(d)
}

func (a *analysis) isNewSigField(v any) bool {
	r, ok := v.(pdfRef)
	if !ok || a.action[r.Num] != "added" {
		return false
	}
	d, err := a.cur.resolveDict(r)
	return err == nil && a.isSigField(d)
}

// reachable lists the indirect objects reachable from roots in the current
// revision.
func (a *analysis) reachable(roots []any) []int {
	seen := map[int]bool{}
	var out []int
	budget := 100000
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		budget--
		if depth > 64 || budget < 0 {
			return
		}
		switch v := v.(type) {
		case pdfRef:
			if seen[v.Num] {
				return
			}
			seen[v.Num] = true
			out = append(out, v.Num)
			walk(a.curVal(v.Num), depth+1)
		case pdfArray:
			for _, x := range v {
				walk(x, depth+1)
			}
		case pdfDict:
			for k, x := range v {
				if k == "Parent" || k == "P" {
					continue
				}
				walk(x, depth+1)
			}
		case *pdfStream:
			walk(v.dict, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return out
}

func onlyKeysDiffer(old, cur pdfDict, keys ...pdfName) bool {
	skip := map[pdfName]bool{}
	for _, k := range keys {
		skip[k] = true
	}
	for k, v := range old {
		if skip[k] {
			continue
		}
		w, ok := cur[k]
		if !ok || !equalObjects(v, w, nil, nil) {
			return false
		}
	}
	for k := range cur {
		if _, ok := old[k]; !ok && !skip[k] {
			return false
		}
	}
	return true
}

func differingKeys(old, cur pdfDict) []string {
	var out []string
	for k, v := range old {
		if w, ok := cur[k]; !ok || !equalObjects(v, w, nil, nil) {
			out = append(out, "/"+string(k))
		}
	}
	for k := range cur {
		if _, ok := old[k]; !ok {
			out = append(out, "/"+string(k))
		}
	}
	sort.Strings(out)
	return out
}

func (a *analysis) checkCatalog(n int) (bool, string) {
	od, _ := a.oldVal(n).(pdfDict)
	cd, _ := a.curVal(n).(pdfDict)
	if od == nil || cd == nil {
		return false, "the catalog was replaced by something unreadable"
	}
	if !onlyKeysDiffer(od, cd, "AcroForm", "DSS", "Extensions") {
		return false, "the document catalog changed: " + strings.Join(differingKeys(od, cd), ", ")
	}
	if onlyKeysDiffer(od, cd, "DSS", "Extensions") {
		return true, "the catalog gained validation data (/DSS) or extension markers"
	}
	// /AcroForm added or changed: a reference is checked as its own object;
	// a direct dictionary is checked here.
	oa, _ := a.resolveOld(od["AcroForm"]).(pdfDict)
	switch ca := cd["AcroForm"].(type) {
	case pdfDict:
		if ok, why := a.checkAcroForm(oa, ca); !ok {
			return false, why
		}
	case pdfRef:
		if a.action[ca.Num] == "" && oa == nil {
			return false, "the catalog points at an AcroForm that is not new"
		}
		if a.action[ca.Num] == "added" {
			cad, _ := a.curVal(ca.Num).(pdfDict)
			if ok, why := a.checkAcroForm(oa, cad); !ok {
				return false, why
			}
		}
	default:
		return false, "the AcroForm was removed"
	}
	return true, "the catalog gained or updated its AcroForm for a signature"
}

func (a *analysis) resolveOld(v any) any {
	if r, ok := v.(pdfRef); ok {
		return a.oldVal(r.Num)
	}
	return v
}

func (a *analysis) resolveCur(v any) any {
	if r, ok := v.(pdfRef); ok {
		return a.curVal(r.Num)
	}
	return v
}

func (a *analysis) checkAcroFormObject(n int) (bool, string) {
	od, _ := a.oldVal(n).(pdfDict)
	if a.action[n] == "added" {
		od = a.oldAcroForm() // the AcroForm moved to a new object
	}
	cd, _ := a.curVal(n).(pdfDict)
	if cd == nil {
		return false, "the AcroForm was replaced by something that is not a dictionary"
	}
	return a.checkAcroForm(od, cd)
}

// checkAcroForm allows an AcroForm change that keeps every field and adds
// only signature fields, sets /SigFlags, or adds default resources.
func (a *analysis) checkAcroForm(od, cd pdfDict) (bool, string) {
	if od == nil {
		od = pdfDict{}
	}
	if cd == nil {
		return false, "the AcroForm is not a dictionary"
	}
	if ok, why := checkNeedAppearances(od, cd); !ok {
		return false, why
	}
	if !onlyKeysDiffer(od, cd, "Fields", "SigFlags", "DR", "DA", "NeedAppearances") {
		return false, "the AcroForm changed: " + strings.Join(differingKeys(od, cd), ", ")
	}
	if _, isRef := cd["Fields"].(pdfRef); isRef {
		if or, ok := od["Fields"].(pdfRef); ok && or == cd["Fields"] {
			return true, "the AcroForm was updated for a signature"
		}
	}
	of, _ := a.resolveOld(od["Fields"]).(pdfArray)
	cf, _ := a.resolveCur(cd["Fields"]).(pdfArray)
	if ok, why := a.checkAdded(of, cf, a.isNewSigField, "field"); !ok {
		return false, "AcroForm /Fields: " + why
	}
	return true, "the AcroForm gained signature fields"
}

func (a *analysis) checkFieldsObject(n int) (bool, string) {
	of, _ := a.oldVal(n).(pdfArray)
	if a.action[n] == "added" {
		of, _ = a.resolveOld(a.oldAcroForm()["Fields"]).(pdfArray)
	}
	cf, ok := a.curVal(n).(pdfArray)
	if !ok {
		return false, "the AcroForm field list is not an array"
	}
	if ok, why := a.checkAdded(of, cf, a.isNewSigField, "field"); !ok {
		return false, "AcroForm /Fields: " + why
	}
	return true, "the AcroForm field list gained signature fields"
}

// checkAdded requires cur to keep every element of old and allows new
// elements only when ok accepts them.
func (a *analysis) checkAdded(old, cur pdfArray, ok func(any) bool, what string) (bool, string) {
	have := map[pdfRef]bool{}
	for _, x := range cur {
		if r, isRef := x.(pdfRef); isRef {
			have[r] = true
		}
	}
	for _, x := range old {
		r, isRef := x.(pdfRef)
		if !isRef {
			continue
		}
		if !have[r] {
			return false, fmt.Sprintf("%s %d was removed", what, r.Num)
		}
	}
	was := map[pdfRef]bool{}
	for _, x := range old {
		if r, isRef := x.(pdfRef); isRef {
			was[r] = true
		}
	}
	for _, x := range cur {
		r, isRef := x.(pdfRef)
		if !isRef {
			// A direct (inline) element must have been there before.
			kept := false
			for _, y := range old {
				if _, yRef := y.(pdfRef); !yRef && equalObjects(x, y, nil, nil) {
					kept = true
					break
				}
			}
			if !kept {
				return false, fmt.Sprintf("a direct %s was added", what)
			}
			continue
		}
		if was[r] {
			continue
		}
		if !ok(r) {
			return false, fmt.Sprintf("%s %d was added and it is not a signature %s (%s)", what, r.Num, what, a.describeValue(a.curVal(r.Num)))
		}
	}
	return true, ""
}

func (a *analysis) checkPage(n, page int) (bool, string) {
	od, _ := a.oldVal(n).(pdfDict)
	cd, _ := a.curVal(n).(pdfDict)
	if od == nil || cd == nil {
		return false, fmt.Sprintf("page %d was replaced by something that is not a page", page)
	}
	if !onlyKeysDiffer(od, cd, "Annots") {
		return false, fmt.Sprintf("page %d changed: %s", page, strings.Join(differingKeys(od, cd), ", "))
	}
	if r, ok := cd["Annots"].(pdfRef); ok {
		if or, ok := od["Annots"].(pdfRef); ok && or == r {
			return true, fmt.Sprintf("page %d (unchanged)", page)
		}
		if a.action[r.Num] != "added" {
			return false, fmt.Sprintf("page %d: /Annots points at an existing object", page)
		}
	}
	oa, _ := a.resolveOld(od["Annots"]).(pdfArray)
	ca, _ := a.resolveCur(cd["Annots"]).(pdfArray)
	if ok, why := a.checkAdded(oa, ca, a.isNewSigWidget, "annotation"); !ok {
		return false, fmt.Sprintf("page %d: %s", page, why)
	}
	return true, fmt.Sprintf("page %d gained signature widgets", page)
}

func (a *analysis) checkAnnotsObject(n, page int) (bool, string) {
	oa, _ := a.oldVal(n).(pdfArray)
	if a.action[n] == "added" && page <= len(a.oldPages) {
		// A new array for a page whose /Annots was direct before.
		if pd, err := a.old.resolveDict(a.oldPages[page-1]); err == nil {
			oa, _ = a.resolveOld(pd["Annots"]).(pdfArray)
		}
	}
	ca, ok := a.curVal(n).(pdfArray)
	if !ok {
		return false, fmt.Sprintf("page %d: the annotation list is not an array", page)
	}
	if ok, why := a.checkAdded(oa, ca, a.isNewSigWidget, "annotation"); !ok {
		return false, fmt.Sprintf("page %d: %s", page, why)
	}
	return true, fmt.Sprintf("page %d gained signature widgets", page)
}

func (a *analysis) describe(n int, action string) string {
	v := a.curVal(n)
	if action == "replaced" {
		return fmt.Sprintf("an object of the signed revision was replaced (%s)", a.describeValue(v))
	}
	if d, ok := v.(pdfDict); ok && d.name("Type") == "Annot" || (ok && d["Subtype"] != nil && d["Rect"] != nil) {
		return fmt.Sprintf("an annotation was added that is not a signature (%s)", a.describeValue(v))
	}
	return fmt.Sprintf("an object was added that no signature uses (%s)", a.describeValue(v))
}

func (a *analysis) describeValue(v any) string {
	switch v := v.(type) {
	case *pdfStream:
		parts := []string{"stream"}
		if t := v.dict.name("Type"); t != "" {
			parts = append(parts, "/Type /"+string(t))
		}
		if t := v.dict.name("Subtype"); t != "" {
			parts = append(parts, "/Subtype /"+string(t))
		}
		return strings.Join(parts, " ")
	case pdfDict:
		parts := []string{"dictionary"}
		if t := v.name("Type"); t != "" {
			parts = append(parts, "/Type /"+string(t))
		}
		if t := v.name("Subtype"); t != "" {
			parts = append(parts, "/Subtype /"+string(t))
		}
		return strings.Join(parts, " ")
	case pdfArray:
		return "array"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// visibleWidget reports a widget with an appearance, a rectangle of
// non-zero area and neither the Hidden nor the NoView flag.
func visibleWidget(d *document, w pdfDict) bool {
	if _, ok := w["AP"]; !ok {
		return false
	}
	if f, ok := w["F"].(int64); ok && f&(1<<1|1<<5) != 0 {
		return false
	}
	r, ok := rectangle(d, w["Rect"])
	return ok && r[2]-r[0] > 0 && r[3]-r[1] > 0
}
