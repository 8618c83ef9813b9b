package ui

import (
	"fmt"
	"image/png"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/software"
	"fyne.io/fyne/v2/widget"
)

// screenshotDelay lets the first screen settle (list pages, the preview)
// before the capture.
const screenshotDelay = 2500 * time.Millisecond

// Screenshot writes the window's content as a PNG file. It paints the
// content with Fyne's software renderer at the window's size rather than
// reading back the GL framebuffer, which under Xvfb's software GL returns a
// blank picture; the content moves to the offscreen canvas, so the window
// is left empty: call it last.
func (a *App) Screenshot(path string) error {
	size := a.win.Canvas().Size()
	if size.Width < 1 || size.Height < 1 {
		size = fyne.NewSize(1280, 800)
	}
	c := software.NewCanvas()
	c.SetPadded(false)
	content := a.win.Content()
	a.win.SetContent(widget.NewLabel(""))
	c.SetContent(content)
	c.Resize(size)
	img := c.Capture()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("screenshot %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("screenshot %s: %w", path, err)
	}
	return nil
}

func (a *App) scheduleScreenshot() {
	go func() {
		time.Sleep(screenshotDelay)
		fyne.Do(func() {
			if err := a.Screenshot(a.opts.Screenshot); err != nil {
				a.log.Error("screenshot", "err", err)
			}
			if a.opts.Quit != nil {
				a.opts.Quit()
			}
		})
	}()
}
