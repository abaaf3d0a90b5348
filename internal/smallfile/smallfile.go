// Package smallfile reads the small files ddm is pointed at — its
// configuration, alarm rules and token files — safely: only a regular file
// (a named pipe would block the reader forever, a device could be endless),
// opened without blocking, and never more than a stated size, so a wrong
// path or a huge file is a clear error instead of a hang or gigabytes of
// memory.
package smallfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular is returned for a path that is not a regular file (a
// directory, named pipe, socket or device).
var ErrNotRegular = errors.New("not a regular file")

// TooLargeError is returned for a file larger than the limit.
type TooLargeError struct {
	Path  string
	Size  int64
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: %d bytes, more than the %s allowed", e.Path, e.Size, FormatSize(e.Limit))
}

// Read returns the content of the regular file at path, at most limit
// bytes. Errors name the path; a missing file wraps fs.ErrNotExist.
func Read(path string, limit int64) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO for reading blocks until a writer comes;
	// with it the open returns at once and the type check below refuses it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w (it is a %s)", path, ErrNotRegular, Kind(st.Mode()))
	}
	if st.Size() > limit {
		return nil, &TooLargeError{Path: path, Size: st.Size(), Limit: limit}
	}
	// The file may grow between the stat and the read: read one byte more
	// than allowed to notice.
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{Path: path, Size: int64(len(b)), Limit: limit}
	}
	return b, nil
}

// Kind names what a file is, for errors that say why a path was refused:
// "directory", "named pipe", "character device", "regular file", ...
func Kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m.IsRegular():
		return "regular file"
	}
	return "irregular file"
}

// FormatSize writes a byte count the way a person reads it: 1 MiB, 64 KiB,
// 1500 bytes.
func FormatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
