package pades

// Forms whose viewers draw the fields themselves. LibreOffice (and other
// producers) export forms with /NeedAppearances true in the AcroForm: a
// viewer then regenerates each field's appearance from its value instead of
// showing the appearance stream stored in the file. For a signed document
// that is a risk: what a recipient sees of the fields is drawn by their
// viewer, not what was signed, and some viewers save the regenerated
// appearances, which changes the document after its signatures.
//
// The rule, the same for the signer and the verifier:
//   - The first signature of a form that asks for regeneration removes the
//     flag in its own incremental update (so the signature covers it), when
//     every field has a stored appearance to show instead; a field without
//     one makes signing refuse (ErrUnsupported): removing the flag would
//     hide its value, keeping it would sign what viewers redraw.
//   - A document already signed with the flag keeps it: the flag was there
//     when those signatures were made, so keeping it is no change after
//     them (and Verify notes it), while removing it would be one (viewers
//     would switch to stored appearances the signers may not have seen).
//   - After a signature, setting the flag or removing it is a forbidden
//     change; keeping it as the signed revision had it is not.

import "fmt"

// keepNeedAppearances makes the signer keep the flag on a form's first
// signature, as producers that do not clear it sign (pdfsig): tests use it
// to check the verifier's side of the rule.
var keepNeedAppearances = false

// formPlan is what a signature's update does to the AcroForm besides
// adding its field.
type formPlan struct {
	// dropNeedAppearances removes /NeedAppearances true.
	dropNeedAppearances bool
}

// needAppearances reports whether an AcroForm asks viewers to regenerate
// its fields' appearances.
func needAppearances(acro pdfDict) bool {
	b, _ := acro["NeedAppearances"].(bool)
	return b
}

// acroForm returns the document's AcroForm dictionary, nil if none.
func (d *document) acroForm() pdfDict {
	cat, err := d.catalog()
	if err != nil {
		return nil
	}
	v, _ := d.resolveValue(cat["AcroForm"])
	acro, _ := v.(pdfDict)
	return acro
}

// formForSigning decides what a new signature does with the form's
// /NeedAppearances flag (see the rule above).
// It walks the form's fields as Verify does, so that the signer refuses
// a form the verifiers would refuse as over budget.
func formForSigning(d *document, cat pdfDict) (formPlan, error) {
	signed, err := d.signatureFields()
	if err != nil {
		return formPlan{}, d.fam.damaged("AcroForm: %w", err)
	}
	v, err := d.resolveValue(cat["AcroForm"])
	if err != nil {
		return formPlan{}, d.fam.damaged("AcroForm: %w", err)
	}
	acro, _ := v.(pdfDict)
	if !needAppearances(acro) {
		return formPlan{}, nil
	}
	if len(signed) > 0 || keepNeedAppearances {
		return formPlan{}, nil
	}
	name, missing, err := d.fieldWithoutAppearance(acro)
	if err != nil {
		return formPlan{}, d.fam.damaged("AcroForm: %w", err)
	}
	if missing {
		return formPlan{}, fmt.Errorf("%w: the form asks viewers to draw its fields (/NeedAppearances) and field %q has no appearance of its own; export the form with its fields flattened, or fill it in a viewer that saves appearances, then sign", ErrUnsupported, name)
	}
	return formPlan{dropNeedAppearances: true}, nil
}

// fieldWithoutAppearance finds a widget of a field other than a signature
// field that has no normal appearance (/AP /N).
func (d *document) fieldWithoutAppearance(acro pdfDict) (string, bool, error) {
	fv, err := d.resolveValue(acro["Fields"])
	if err != nil {
		return "", false, err
	}
	seen := map[int]bool{}
	count := 0
	var walk func(v any, parent string, ft pdfName, depth int) (string, bool, error)
	walk = func(v any, parent string, ft pdfName, depth int) (string, bool, error) {
		count++
		switch {
		case count > maxFields:
			return "", false, d.fam.budget.over("form fields", maxFields)
		case depth > maxFieldDepth:
			return "", false, d.fam.budget.over("levels of nested form fields", maxFieldDepth)
		}
		r, ok := v.(pdfRef)
		if !ok || seen[r.Num] {
			return "", false, nil
		}
		seen[r.Num] = true
		f, err := d.resolveDict(r)
		if err != nil {
			return "", false, nil // a broken field is no widget
		}
		name := parent
		if t, ok := f["T"].(pdfString); ok {
			if name != "" {
				name += "."
			}
			name += decodeText(t.Value)
		}
		if n := f.name("FT"); n != "" {
			ft = n
		}
		isWidget := f.name("Subtype") == "Widget" || f["Rect"] != nil
		if isWidget && ft != "Sig" {
			ap, _ := d.resolveValue(f["AP"])
			apd, _ := ap.(pdfDict)
			if apd["N"] == nil {
				return name, true, nil
			}
		}
		kv, _ := d.resolveValue(f["Kids"])
		kids, _ := kv.(pdfArray)
		for _, k := range kids {
			if n, missing, err := walk(k, name, ft, depth+1); err != nil || missing {
				return n, missing, err
			}
		}
		return "", false, nil
	}
	fields, _ := fv.(pdfArray)
	for _, f := range fields {
		if n, missing, err := walk(f, "", "", 0); err != nil || missing {
			return n, missing, err
		}
	}
	return "", false, nil
}

// checkNeedAppearances compares the flag in the signed revision's AcroForm
// (od) with the current one (cd).
func checkNeedAppearances(od, cd pdfDict) (bool, string) {
	switch was, is := needAppearances(od), needAppearances(cd); {
	case is && !was:
		return false, "the AcroForm asks viewers to regenerate appearances"
	case was && !is:
		return false, "the AcroForm stopped asking viewers to regenerate appearances: they would show stored appearances the signer may not have seen"
	}
	return true, ""
}
