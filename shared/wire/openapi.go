package wire

import _ "embed"

// PathOpenAPI serves OpenAPI, the API as an OpenAPI 3.1 document.
const PathOpenAPI = "/v1/openapi.yaml"

// ContentOpenAPI is the content type of PathOpenAPI's answer.
const ContentOpenAPI = "application/yaml"

// OpenAPI is this package's contract as an OpenAPI 3.1 document (YAML)
// with JSON Schema 2020-12 schemas for every body and every packet's
// payload: the document other vendors implement. It is the one source:
// docs/openapi.yaml is a copy, and this package's tests fail when a Go
// type, a code or a path disagrees with it.
//
//go:embed openapi.yaml
var OpenAPI []byte
