// Package tsa requests, parses, verifies and issues RFC 3161 timestamp
// tokens, for PAdES B-T signature timestamps and the hub's own timestamping
// service.
//
// [Request] is the client: it posts a timestamp query with a fresh nonce and
// certReq set, and returns the token only after checking the response status,
// that the token's signature verifies, and that the nonce and message imprint
// are the ones it sent.
//
// [ParseToken] reads a token (a CMS SignedData over a TSTInfo, parsed by
// package cms); [Token.Verify] checks its signature, that its certificate is
// a timestamping certificate (critical extended key usage timeStamping, and
// nothing else) named by the signing-certificate attribute, and that it chains
// to the given roots at the token's time. [Token.Covers] checks the token was
// issued over given bytes, such as a CMS signature value.
//
// [Server] is an http.Handler that issues tokens, signed by a [certs.Signer]
// with the hash that matches its key ([certs.SigningHash]). Its serial
// numbers are monotonic: each is the larger of the previous one plus one and
// the current time in nanoseconds, so they keep increasing across restarts as
// long as the clock does. genTime has a precision of one second and the token
// states an accuracy of one second.
//
// Requests are encoded and parsed with github.com/digitorus/timestamp; tokens
// are built and parsed with package cms, so that the TSA's serial numbers,
// attributes and algorithms are this project's choice.
package tsa
