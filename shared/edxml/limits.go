package edxml

import "fmt"

// DefaultMaxPacketSize is the default cap on a packet: 50 MB, a cap common
// on the national axis.
const DefaultMaxPacketSize = 50 << 20

// Limits bound what [Read] accepts; the zero value of a field means its
// default.
type Limits struct {
	// MaxPacketSize caps the packet's bytes, attachments included
	// (default 50 MB).
	MaxPacketSize int64
	// MaxDepth caps element nesting (default 32).
	MaxDepth int
	// MaxElements caps the number of elements (default 20000).
	MaxElements int
	// MaxAttributes caps the attributes of one element (default 32).
	MaxAttributes int
	// MaxTextSize caps one text value or attribute outside attachment
	// content (default 64 KiB).
	MaxTextSize int
	// MaxAttachments caps the attachments (default 200).
	MaxAttachments int
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if l.MaxPacketSize == 0 {
		l.MaxPacketSize = DefaultMaxPacketSize
	}
	def(&l.MaxDepth, 32)
	def(&l.MaxElements, 20000)
	def(&l.MaxAttributes, 32)
	def(&l.MaxTextSize, 64<<10)
	def(&l.MaxAttachments, 200)
	return l
}

// Validate refuses negative limits and a depth too small for edXML's tree.
func (l Limits) Validate() error {
	if l.MaxPacketSize < 0 || l.MaxDepth < 0 || l.MaxElements < 0 || l.MaxAttributes < 0 ||
		l.MaxTextSize < 0 || l.MaxAttachments < 0 {
		return fmt.Errorf("edxml limits: negative value")
	}
	if l.MaxDepth != 0 && l.MaxDepth < 8 {
		return fmt.Errorf("edxml limits: depth %d is below edXML's own nesting (8)", l.MaxDepth)
	}
	return nil
}
