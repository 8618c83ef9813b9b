package pades

import (
	"errors"
	"fmt"
)

// What a hostile PDF may cost. A small file can ask for a great deal of
// work: object streams of compressed zeros decode to a thousand times their
// size, a form can hold a hundred thousand fields, a /Prev chain thousands
// of cross-reference sections, and every signature re-reads the revision it
// signs. So each opened document (with the revisions its signatures sign)
// shares one budget, sized from the file: decoded stream bytes, parsed
// values, cross-reference entries and sections, each at most the larger of
// a multiple of the file's size and a floor, and never over a hard cap. A
// document over budget is refused with a *BudgetError (ErrBudget); the
// budget is sticky, so a limit met where an error is otherwise ignored
// still refuses the document.
const (
	decodedPerByte = 16       // decoded bytes per byte of file
	decodedFloor   = 32 << 20 // decoded bytes any file may use
	decodedCap     = 128 << 20
	valuesPerByte  = 2 // parsed values (numbers, names, array and dictionary entries...) per byte of file
	valuesFloor    = 1 << 20
	valuesCap      = 1 << 24
	entriesPerByte = 1 // cross-reference entries, summed over the revisions read
	entriesFloor   = 1 << 18
	entriesCap     = 1 << 22
	// maxXRefSections bounds the cross-reference sections read, summed
	// over the revisions read.
	maxXRefSections = 4096
	maxFields       = 10000 // form fields walked
	maxFieldDepth   = 32
	maxSignatures   = 64 // each re-reads and hashes the document
	maxRefDepth     = 16 // references followed to reach one value
)

// ErrBudget means the document asks for more work or memory than its size
// can justify (a decompression or object bomb, or a document too complex
// to check safely); it is refused, not verified or signed.
var ErrBudget = errors.New("PDF too complex to check safely")

// BudgetError says which limit a document went over.
type BudgetError struct {
	What  string // "decoded bytes", "objects", "cross-reference entries", ...
	Limit int64
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("%v: more %s than the limit of %d", ErrBudget, e.What, e.Limit)
}

// Unwrap makes a *BudgetError match ErrBudget.
func (e *BudgetError) Unwrap() error { return ErrBudget }

// budget counts what one document and the revisions its signatures sign
// cost together.
type budget struct {
	decoded, decodedMax   int64
	values, valuesMax     int64
	entries, entriesMax   int64
	sections, sectionsMax int64
	err                   *BudgetError // the first limit met; sticky
}

func clamp(perByte, size, floor, ceiling int64) int64 {
	n := perByte * size
	if size > ceiling/perByte {
		n = ceiling
	}
	return min(max(n, floor), ceiling)
}

func newBudget(size int64) *budget {
	return &budget{
		decodedMax:  clamp(decodedPerByte, size, decodedFloor, decodedCap),
		valuesMax:   clamp(valuesPerByte, size, valuesFloor, valuesCap),
		entriesMax:  clamp(entriesPerByte, size, entriesFloor, entriesCap),
		sectionsMax: maxXRefSections,
	}
}

// over records that the limit of what was met and returns the error.
func (b *budget) over(what string, limit int64) error {
	if b.err == nil {
		b.err = &BudgetError{What: what, Limit: limit}
	}
	return b.err
}

func (b *budget) charge(n *int64, max int64, what string, k int64) error {
	if b.err != nil {
		return b.err
	}
	*n += k
	if *n > max {
		return b.over(what, max)
	}
	return nil
}

func (b *budget) chargeDecoded(k int64) error {
	return b.charge(&b.decoded, b.decodedMax, "decoded stream bytes", k)
}

// decodedLeft is how many more bytes may be decoded.
func (b *budget) decodedLeft() int64 { return max(b.decodedMax-b.decoded, 0) }

func (b *budget) chargeValue() error {
	if b.err == nil && b.values < b.valuesMax {
		b.values++ // the hot path: one call per parsed value
		return nil
	}
	return b.charge(&b.values, b.valuesMax, "parsed objects", 1)
}

func (b *budget) chargeEntry() error {
	return b.charge(&b.entries, b.entriesMax, "cross-reference entries", 1)
}

func (b *budget) chargeSection() error {
	return b.charge(&b.sections, b.sectionsMax, "cross-reference sections", 1)
}

// exceeded returns the budget error if a limit was met, else nil.
func (b *budget) exceeded() error {
	if b == nil || b.err == nil {
		return nil
	}
	return b.err
}
