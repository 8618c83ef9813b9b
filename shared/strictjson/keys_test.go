package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// tokenDuplicateKeys is the reference the walker must agree with: the
// same check written over json.Decoder's tokens, simple and slow.
func tokenDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // numbers are the decoder's business, not the walk's
	var walk func(depth int) error
	walk = func(depth int) error {
		if depth > maxDepth {
			return errors.New("too deep")
		}
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		d, ok := tok.(json.Delim)
		if !ok {
			return nil
		}
		switch d {
		case '{':
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := k.(string)
				folded := strings.ToLower(strings.ToUpper(key))
				if seen[folded] {
					return fmt.Errorf("key %q appears twice", key)
				}
				seen[folded] = true
				if err := walk(depth + 1); err != nil {
					return err
				}
			}
		case '[':
			for dec.More() {
				if err := walk(depth + 1); err != nil {
					return err
				}
			}
		}
		_, err = dec.Token()
		return err
	}
	return walk(0)
}

func TestDuplicateKeys(t *testing.T) {
	many := func(dup string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range 40 {
			fmt.Fprintf(&b, `"k%d":%d,`, i, i)
		}
		b.WriteString(`"` + dup + `":true}`)
		return b.String()
	}
	tests := []struct {
		in  string
		dup string // the key reported twice; empty: none
	}{
		{`{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`, ""},
		{`{"a":1,"A":2}`, "A"},
		{`{"k":1,"\u212a":2}`, "\u212a"}, // the Kelvin sign folds to k, as encoding/json matches it
		{`{"s":1,"ſ":2}`, "ſ"},
		{`{"a\"b":1,"a\"B":2}`, `a"B`},
		{`{"\u0061":1,"a":2}`, "a"},
		{`{"x":"{\"a\":1,\"a\":2}"}`, ""}, // keys inside a string are text
		{`[{"a":1},{"a":1}]`, ""},
		{`{"q":[1,2,{"z":null,"z":false}]}`, "z"},
		{many("k39"), "k39"},
		{many("K7"), "K7"},
		{many("new"), ""},
		{`{"tên":"Công văn","TÊN":"x"}`, "TÊN"},
	}
	for _, tt := range tests {
		err := checkDuplicateKeys([]byte(tt.in))
		if tt.dup == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.in, err)
			}
			continue
		}
		if err == nil || err.Error() != fmt.Sprintf("key %q appears twice", tt.dup) {
			t.Errorf("%s: %v, want key %q appears twice", tt.in, err, tt.dup)
		}
	}
	for _, bad := range []string{``, `{`, `{"a"`, `{"a":`, `{"a":1,`, `{"a" 1}`, `{1:2}`, `[1,`, `["a`, `"\`, `{"a":1]`, `]`} {
		if err := checkDuplicateKeys([]byte(bad)); err == nil {
			t.Errorf("%q: no error from a walk over broken JSON", bad)
		}
	}
	deep := strings.Repeat(`{"a":`, maxDepth) + "1" + strings.Repeat("}", maxDepth)
	if err := checkDuplicateKeys([]byte(deep)); err != nil {
		t.Errorf("%d levels: %v", maxDepth, err)
	}
	if err := checkDuplicateKeys([]byte("[" + deep + "]")); err == nil {
		t.Errorf("%d levels: no error", maxDepth+1)
	}
}

// FuzzDuplicateKeys checks the walker against the token-based reference
// on every valid JSON text the fuzzer finds.
func FuzzDuplicateKeys(f *testing.F) {
	for _, s := range []string{`{"a":1,"A":2}`, `{"a":[{"b":1,"b":2}]}`, `{"k":1,"\u212a":2}`, `[1,"x",{"y":{}}]`, `{"a\\":1,"a\\\\":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			_ = checkDuplicateKeys(data) // must not panic
			return
		}
		got, want := checkDuplicateKeys(data), tokenDuplicateKeys(data)
		if (got == nil) != (want == nil) {
			t.Fatalf("%q: walker %v, reference %v", data, got, want)
		}
	})
}

func BenchmarkUnmarshal(b *testing.B) {
	type entry struct {
		Kind       string   `json:"kind"`
		Event      string   `json:"event"`
		MessageID  string   `json:"message_id"`
		Sender     string   `json:"sender"`
		Recipients []string `json:"recipients"`
		LogIndex   int64    `json:"log_index"`
	}
	data := []byte(`{"kind":"receipt","event":"accepted","message_id":"01JAB3C4D5E6F7G8H9J0K1M2N3","sender":"000.00.00.H49","recipients":["000.00.12.H41","000.00.00.G22"],"log_index":123456}`)
	b.ReportAllocs()
	for b.Loop() {
		var e entry
		if err := Unmarshal(data, &e); err != nil {
			b.Fatal(err)
		}
	}
}
