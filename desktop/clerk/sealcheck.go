package clerk

import "lienthong/certs"

// CheckSeal reports whether s may be this store's seal (Options.Seal):
// its certificate may issue documents and is the store's agency's (our
// agency URI, or a certificate of another CA registered as its seal). Open
// refuses a seal that fails it; the app checks a seal as it is chosen.
func (c *Clerk) CheckSeal(s certs.Signer) error { return checkSeal(s, c.code, c.v) }
