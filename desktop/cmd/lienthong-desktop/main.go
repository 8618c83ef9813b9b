// Command lienthong-desktop is the clerk's desktop app: Lienthong's documents
// in and out of the agency, in Vietnamese (English when chosen). The app
// itself is lienthong/desktop/ui; this only parses flags and starts it.
//
// The passphrase comes from the unlock screen, or LIENTHONG_PASSPHRASE for
// the demo and the screenshot script.
package main

import (
	"flag"
	"log/slog"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"lienthong/desktop/ui"
)

func main() {
	dir, _ := os.UserConfigDir()
	home := flag.String("home", filepath.Join(dir, "lienthong"), "folder of the clerk's store")
	tab := flag.String("tab", "", "tab to open: incoming, outgoing, compose, registers, verify, settings")
	first := flag.Bool("open-first", false, "show the first document of the tab")
	shot := flag.String("screenshot", "", "write a PNG of the window to this file once ready, then exit")
	flag.Parse()
	a := app.NewWithID("vn.gov.lienthong.desktop")
	w := a.NewWindow("Lienthong")
	w.Resize(fyne.NewSize(1280, 800))
	d := ui.New(a, w, ui.Options{Home: *home, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)), Tab: *tab, OpenFirst: *first,
		Passphrase: []byte(os.Getenv("LIENTHONG_PASSPHRASE")), Screenshot: *shot, Quit: a.Quit})
	d.Start()
	w.ShowAndRun()
	d.Close()
}
