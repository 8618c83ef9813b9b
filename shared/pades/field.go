package pades

// Signature fields and their widgets: a new field on a page, or an empty
// field already in the document signed into.

import (
	"fmt"
	"strconv"
)

// addField adds a new signature field and widget on the page, appending
// it to the AcroForm's /Fields and the page's /Annots.
func addField(d *document, u *update, cat pdfDict, pageRef pdfRef, pageDict pdfDict, opts Options, sigRef pdfRef, form formPlan) error {
	fieldNum := u.alloc()
	fieldRef := pdfRef{Num: fieldNum}
	var err error

	// AcroForm: append the field, set SigFlags.
	existing := map[string]bool{}
	var acro pdfDict
	acroRef, acroIsRef := cat["AcroForm"].(pdfRef)
	switch v := cat["AcroForm"].(type) {
	case pdfRef:
		acro, err = d.resolveDict(v)
		if err != nil {
			return d.fam.damaged("AcroForm: %w", err)
		}
	case pdfDict:
		acro = v
	}
	newAcro := pdfDict{}
	for k, v := range acro {
		newAcro[k] = v
	}
	newAcro["SigFlags"] = int64(3)
	if form.dropNeedAppearances {
		delete(newAcro, "NeedAppearances")
	}
	fieldsRef, fieldsIsRef := acro["Fields"].(pdfRef)
	fieldsV, err := d.resolveValue(acro["Fields"])
	if err != nil {
		return d.fam.damaged("AcroForm /Fields: %w", err)
	}
	fields, _ := fieldsV.(pdfArray)
	for _, f := range fields {
		if fr, ok := f.(pdfRef); ok {
			if fd, err := d.resolveDict(fr); err == nil {
				if t, ok := fd["T"].(pdfString); ok {
					existing[decodeText(t.Value)] = true
				}
			}
		}
	}
	newFields := append(append(pdfArray{}, fields...), fieldRef)
	if fieldsIsRef {
		u.put(fieldsRef.Num, fieldsRef.Gen, newFields)
	} else {
		newAcro["Fields"] = newFields
	}
	newCat := pdfDict{}
	for k, v := range cat {
		newCat[k] = v
	}
	catChanged := false
	switch {
	case acroIsRef:
		u.put(acroRef.Num, acroRef.Gen, newAcro)
	case acro != nil:
		newCat["AcroForm"] = newAcro
		catChanged = true
	default:
		n := u.alloc()
		u.put(n, 0, newAcro)
		newCat["AcroForm"] = pdfRef{Num: n}
		catChanged = true
	}
	if catChanged {
		root := d.root()
		u.put(root.Num, root.Gen, newCat)
	}

	// Page: append the widget to /Annots.
	switch v := pageDict["Annots"].(type) {
	case pdfRef:
		av, err := d.resolve(v)
		if err != nil {
			return d.fam.damaged("page /Annots: %w", err)
		}
		arr, _ := av.(pdfArray)
		u.put(v.Num, v.Gen, append(append(pdfArray{}, arr...), fieldRef))
	default:
		arr, _ := v.(pdfArray)
		np := pdfDict{}
		for k, val := range pageDict {
			np[k] = val
		}
		np["Annots"] = append(append(pdfArray{}, arr...), fieldRef)
		u.put(pageRef.Num, pageRef.Gen, np)
	}

	// The appearance.
	apNum := u.alloc()
	rect := pdfArray{int64(0), int64(0), int64(0), int64(0)}
	if a := opts.Appearance; a != nil {
		r := opts.Rect
		if r[2] <= r[0] || r[3] <= r[1] {
			return fmt.Errorf("visible signature needs a rectangle with x1 < x2 and y1 < y2, got %v", r)
		}
		rect = pdfArray{r[0], r[1], r[2], r[3]}
		if err := putAppearance(u, apNum, a); err != nil {
			return err
		}
	} else {
		u.putStream(apNum, pdfDict{"Type": pdfName("XObject"), "Subtype": pdfName("Form"), "BBox": pdfArray{int64(0), int64(0), int64(0), int64(0)}}, nil)
	}

	name := opts.FieldName
	if name == "" {
		for i := 1; ; i++ {
			name = "Signature" + strconv.Itoa(i)
			if !existing[name] {
				break
			}
		}
	} else if existing[name] {
		return fmt.Errorf("a field named %q already exists", name)
	}
	u.put(fieldNum, 0, pdfDict{
		"Type": pdfName("Annot"), "Subtype": pdfName("Widget"), "FT": pdfName("Sig"),
		"T": textString(name), "V": sigRef, "F": int64(132), "Rect": rect, "P": pageRef,
		"AP": pdfDict{"N": pdfRef{Num: apNum}},
	})
	return nil
}

// fillEmptyField signs into the existing, empty signature field named
// opts.FieldName, as templates and drafting tools prepare them: the field
// gets /V (and, for a visible signature, its widget gets /AP, in the
// widget's own /Rect unless opts.Rect is given). It reports false when no
// field has that name, and a new field is added instead.
func fillEmptyField(d *document, u *update, cat pdfDict, opts Options, sigRef pdfRef, form formPlan) (bool, error) {
	if opts.FieldName == "" {
		return false, nil
	}
	fieldRef, field, ft, found := findField(d, cat, opts.FieldName)
	if !found {
		return false, nil
	}
	if ft != "Sig" {
		return false, fmt.Errorf("field %q is not a signature field", opts.FieldName)
	}
	if _, ok := field["V"]; ok {
		return false, fmt.Errorf("signature field %q is already signed", opts.FieldName)
	}
	// Only a field merged with its widget is filled: poppler 22 does not
	// see a signature whose widget is a separate kid as signed.
	if field.name("Subtype") != "Widget" {
		return false, fmt.Errorf("%w: signature field %q keeps its widget apart (as a kid); only fields merged with their widget can be filled", ErrUnsupported, opts.FieldName)
	}
	widgetRef, widget := fieldRef, field
	newField := copyOf(field)
	newField["V"] = sigRef
	newWidget := newField
	if a := opts.Appearance; a != nil {
		r := opts.Rect
		if r == [4]float64{} {
			r, _ = rectangle(d, widget["Rect"])
		}
		if r[2] <= r[0] || r[3] <= r[1] {
			return false, fmt.Errorf("visible signature needs a rectangle with x1 < x2 and y1 < y2, got %v", r)
		}
		apNum := u.alloc()
		if err := putAppearance(u, apNum, a); err != nil {
			return false, err
		}
		newWidget["AP"] = pdfDict{"N": pdfRef{Num: apNum}}
		newWidget["Rect"] = pdfArray{r[0], r[1], r[2], r[3]}
	}
	u.put(widgetRef.Num, widgetRef.Gen, newWidget)
	// Signatures need /SigFlags 3 on the AcroForm (and the plan may drop
	// /NeedAppearances).
	switch v := cat["AcroForm"].(type) {
	case pdfRef:
		acro, err := d.resolveDict(v)
		if err != nil {
			return false, d.fam.damaged("AcroForm: %w", err)
		}
		if f, _ := acro["SigFlags"].(int64); f != 3 || form.dropNeedAppearances {
			na := copyOf(acro)
			na["SigFlags"] = int64(3)
			if form.dropNeedAppearances {
				delete(na, "NeedAppearances")
			}
			u.put(v.Num, v.Gen, na)
		}
	case pdfDict:
		if f, _ := v["SigFlags"].(int64); f != 3 || form.dropNeedAppearances {
			na := copyOf(v)
			na["SigFlags"] = int64(3)
			if form.dropNeedAppearances {
				delete(na, "NeedAppearances")
			}
			nc := copyOf(cat)
			nc["AcroForm"] = na
			u.put(d.root().Num, d.root().Gen, nc)
		}
	}
	return true, nil
}

// findField looks a field up by its full name (parent names joined with
// dots) and returns it with its field type, inherited from its parents.
func findField(d *document, cat pdfDict, name string) (pdfRef, pdfDict, pdfName, bool) {
	acroV, _ := d.resolveValue(cat["AcroForm"])
	acro, _ := acroV.(pdfDict)
	fv, _ := d.resolveValue(acro["Fields"])
	fields, _ := fv.(pdfArray)
	seen := map[int]bool{}
	var walk func(v any, parent string, ft pdfName, depth int) (pdfRef, pdfDict, pdfName, bool)
	walk = func(v any, parent string, ft pdfName, depth int) (pdfRef, pdfDict, pdfName, bool) {
		r, ok := v.(pdfRef)
		if !ok || depth > 32 || seen[r.Num] {
			return pdfRef{}, nil, "", false
		}
		seen[r.Num] = true
		f, err := d.resolveDict(r)
		if err != nil {
			return pdfRef{}, nil, "", false
		}
		full := parent
		if t, ok := f["T"].(pdfString); ok {
			if full != "" {
				full += "."
			}
			full += decodeText(t.Value)
		}
		if n := f.name("FT"); n != "" {
			ft = n
		}
		if full == name && f["T"] != nil {
			return r, f, ft, true
		}
		kv, _ := d.resolveValue(f["Kids"])
		kids, _ := kv.(pdfArray)
		for _, k := range kids {
			if fr, fd, fft, ok := walk(k, full, ft, depth+1); ok {
				return fr, fd, fft, true
			}
		}
		return pdfRef{}, nil, "", false
	}
	for _, f := range fields {
		if r, fd, ft, ok := walk(f, "", "", 0); ok {
			return r, fd, ft, true
		}
	}
	return pdfRef{}, nil, "", false
}

func copyOf(d pdfDict) pdfDict {
	c := make(pdfDict, len(d)+2)
	for k, v := range d {
		c[k] = v
	}
	return c
}
