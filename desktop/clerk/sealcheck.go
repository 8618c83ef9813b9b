package clerk

import "lienthong/certs"

// CheckSeal reports whether s may be this store's seal (Options.Seal):
// its certificate may issue documents and names the store's agency. Open
// refuses a seal that fails it; the app checks a seal as it is chosen.
func (c *Clerk) CheckSeal(s certs.Signer) error { return checkSeal(s, c.code) }
