package store_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"lienthong/desktop/store"
)

func Example() {
	dir, err := os.MkdirTemp("", "clerk-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "clerk.db")

	s, err := store.Open(path, []byte("mật khẩu"))
	if err != nil {
		log.Fatal(err)
	}
	if err := s.SetSetting(store.SettingHubAddress, "hub.lienthong.gov.vn:4433"); err != nil {
		log.Fatal(err)
	}
	s.Close()

	_, err = store.Open(path, []byte("mat khau"))
	fmt.Println(err != nil, errors.Is(err, store.ErrWrongPassphrase))

	s, err = store.Open(path, []byte("mật khẩu"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	hub, _ := s.Setting(store.SettingHubAddress)
	fmt.Println(hub)
	// Output:
	// true true
	// hub.lienthong.gov.vn:4433
}
