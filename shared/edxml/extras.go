package edxml

import (
	"encoding/xml"
	"sort"
	"strings"
)

// extras collects what no field took: each topmost unused element (or
// text next to elements) as a fragment, and the attributes of used
// elements, with logical paths.
func (rd *reader) extras(root *node) []Extra {
	var out []Extra
	var walk func(n *node, path string)
	walk = func(n *node, path string) {
		attrs := append([]xml.Attr(nil), n.attrs...)
		sort.Slice(attrs, func(i, j int) bool { return attrKey(attrs[i]) < attrKey(attrs[j]) })
		for _, a := range attrs {
			out = append(out, Extra{Path: path, Attr: attrKey(a), Value: a.Value})
		}
		count := map[string]int{}
		for _, k := range n.kids {
			if k.isText() {
				// Text no field read: a value where a container was
				// expected, or text between elements.
				if !k.used && strings.TrimSpace(k.text) != "" {
					var b strings.Builder
					xml.EscapeText(&b, []byte(strings.TrimSpace(k.text)))
					out = append(out, Extra{Path: path, XML: b.String()})
				}
				continue
			}
			count[k.local]++
			kp := lpath(path, k, count[k.local])
			if k.used && k.space == dsigNamespace && k.local == "Signature" {
				// The signature covers bytes export rewrites: never an extra.
				continue
			}
			if k.used {
				walk(k, kp)
				continue
			}
			var b strings.Builder
			writeFragment(&b, k)
			out = append(out, Extra{Path: path, Name: k.local, XML: b.String()})
		}
	}
	if root.local == "edXML" {
		walk(root, "")
	} else {
		walk(root, "edXMLEnvelope")
	}
	return out
}

func attrKey(a xml.Attr) string {
	if a.Name.Space == "" {
		return a.Name.Local
	}
	return "{" + a.Name.Space + "}" + a.Name.Local
}

// writeFragment writes n in the canonical form of an extra: edXML
// elements (either namespace, or none) with the prefix "edXML", other
// namespaces declared on each element that uses them, attributes sorted,
// text escaped. (Text kept on its own, outside any fragment, is trimmed.)
func writeFragment(b *strings.Builder, n *node) {
	name, decl := qname(n.space, n.local, "n")
	b.WriteString("<" + name + decl)
	attrs := append([]xml.Attr(nil), n.attrs...)
	sort.Slice(attrs, func(i, j int) bool { return attrKey(attrs[i]) < attrKey(attrs[j]) })
	for i, a := range attrs {
		an, adecl := a.Name.Local, ""
		if a.Name.Space != "" {
			an, adecl = qname(a.Name.Space, a.Name.Local, "a"+string(rune('0'+i%10)))
		}
		b.WriteString(adecl + " " + an + `="`)
		xml.EscapeText(b, []byte(a.Value))
		b.WriteString(`"`)
	}
	if len(n.kids) == 0 {
		b.WriteString("/>")
		return
	}
	b.WriteString(">")
	for _, k := range n.kids {
		if k.isText() {
			xml.EscapeText(b, []byte(k.text))
		} else {
			writeFragment(b, k)
		}
	}
	b.WriteString("</" + name + ">")
}

// qname returns the prefixed name for a namespace and the declaration it
// needs.
func qname(space, local, prefix string) (string, string) {
	switch space {
	case Namespace, LegacyNamespace, "":
		return "edXML:" + local, ""
	case "http://www.w3.org/XML/1998/namespace":
		return "xml:" + local, ""
	}
	var b strings.Builder
	xml.EscapeText(&b, []byte(space))
	return prefix + ":" + local, " xmlns:" + prefix + `="` + b.String() + `"`
}
