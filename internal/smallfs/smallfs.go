// Package smallfs gives tests a real filesystem of a fixed, small size (a
// tmpfs mounted for the test and unmounted after it), so that a full disk
// is a real ENOSPC, and fills it.
package smallfs

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Mount mounts a tmpfs of size bytes on a new temporary folder and
// returns the folder; the test's cleanup unmounts it. Mounting needs
// CAP_SYS_ADMIN (CI runs as root); without it the test is skipped with the
// reason.
func Mount(t testing.TB, size int64) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("ddm-test", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, fmt.Sprintf("size=%d,mode=0755", size)); err != nil {
		t.Skipf("cannot mount a %d-byte tmpfs here (%v): the full-disk tests need root", size, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// Fill writes path until its filesystem is full, then gives back leave
// bytes (rounded to 4 KiB pages); it returns the size of the file.
func Fill(t testing.TB, path string, leave int64) int64 {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	var n int64
	for {
		k, err := f.Write(buf)
		n += int64(k)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if leave > 0 {
		n = max(n-(leave+4095)/4096*4096, 0)
		if err := f.Truncate(n); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// Free returns the bytes free for an unprivileged user on dir's
// filesystem.
func Free(t testing.TB, dir string) int64 {
	t.Helper()
	var s unix.Statfs_t
	if err := unix.Statfs(dir, &s); err != nil {
		t.Fatal(err)
	}
	return int64(s.Bavail) * s.Bsize
}
