package strictjson

import (
	"errors"
	"strings"
	"testing"
)

type sample struct {
	Name  string   `json:"name"`
	Items []string `json:"items"`
	Inner *struct {
		A int `json:"a"`
	} `json:"inner"`
}

func TestUnmarshal(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"plain", `{"name":"Công văn","items":["a"],"inner":{"a":1}}`, true},
		{"whitespace after", "{\"name\":\"x\"}\n\t ", true},
		{"duplicate key", `{"name":"a","name":"b"}`, false},
		{"duplicate key in other case", `{"name":"a","NAME":"b"}`, false},
		{"duplicate nested key", `{"inner":{"a":1,"a":2}}`, false},
		{"duplicate key in array element", `{"items":[],"inner":{"a":1},"x":[{"k":1,"k":2}]}`, false},
		{"unknown field", `{"name":"a","extra":1}`, false},
		{"trailing value", `{"name":"a"}{"name":"b"}`, false},
		{"trailing garbage", `{"name":"a"} x`, false},
		{"not JSON", `name=a`, false},
		{"truncated", `{"name":"a"`, false},
		{"too deep", strings.Repeat("[", 100) + strings.Repeat("]", 100), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s sample
			err := Unmarshal([]byte(tt.in), &s)
			if tt.ok != (err == nil) {
				t.Fatalf("Unmarshal(%s) = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
		})
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte(`{"name":"a","items":["b"],"inner":{"a":1}}`))
	f.Add([]byte(`{"name":"a","name":"b"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s sample
		_ = Unmarshal(data, &s)
	})
}
