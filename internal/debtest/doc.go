// Package debtest holds the test of the Debian packages that
// packaging/deb/build.sh makes (deb_test.go): it builds the binaries once,
// packages them as two versions, checks both packages with lintian, installs
// the older with dpkg -i on this machine, runs the installed lienthong-hub
// and lienthong-clerk, puts in the hub's data folder the data of a
// genuinely older release (testdata/: a hub store in schema 1 and a clerk's
// store in schema 2, written by commit b27ade3, with the script that
// remakes them), upgrades to the newer over it and checks that the hub
// migrates its store and passes its own check (log, messages, attachments,
// grants), that the older release's clerk store migrates and lists its
// documents, and that a clerk's store made by the older package still
// verifies a PDF; then purges the packages and checks nothing is left. It needs root and a machine it may
// install packages on (CI's); elsewhere it fails with a message saying so.
// hubjson_test.go checks that the packaged /etc/lienthong/hub.json writes
// out exactly the defaults of package lienthong/hub/config.
//
// The package has no code of its own; run it (as root) with
//
//	go test ./internal/debtest/
package debtest
