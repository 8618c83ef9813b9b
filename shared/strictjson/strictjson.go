// Package strictjson decodes JSON that was signed or comes from outside,
// where a lenient reading is a risk: one value, no unknown field, no key
// twice, nothing after it. encoding/json keeps the last of two equal keys
// where another reader may keep the first, and a signed packet must mean
// one thing to everybody.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrMalformed is wrapped by every error Unmarshal returns.
var ErrMalformed = errors.New("malformed JSON")

// Unmarshal decodes the single JSON value in data into v, refusing
// duplicate keys (compared as encoding/json compares them, ignoring case),
// fields v has no place for, and trailing data.
func Unmarshal(data []byte, v any) error {
	if err := checkDuplicateKeys(data); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the JSON value", ErrMalformed)
	}
	return nil
}
