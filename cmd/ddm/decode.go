package main

import (
	"context"
	"fmt"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/cmis/dumpfile"
	"github.com/ddm-agent/ddm/report"
)

// cmdDecode decodes saved dumps. Every file is decoded even when an earlier
// one is broken; a broken file is reported with its name and line and makes
// the exit status 2.
func cmdDecode(_ context.Context, e env, args []string) int {
	fs := newFlags(e, "decode")
	asJSON := fs.Bool("json", false, "print JSON (one object per module, one per line)")
	first := fs.Bool("first", false, "decode only the first read of a dump that holds several")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: ddm decode [--json] FILE...\n\n"+
			"Decodes saved module memory: the ddm/vectors text format (ddm dump --raw), 'ethtool -m DEV hex on'\n"+
			"output, optoe sysfs eeprom files and raw 256/512/640-byte images. FILE '-' reads standard input.\n\n")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	code := exitOK
	for _, name := range fs.Args() {
		var (
			d   *dumpfile.Dump
			err error
		)
		if name == "-" {
			d, err = dumpfile.Read("<stdin>", e.stdin)
		} else {
			d, err = dumpfile.ReadFile(name)
		}
		if err != nil {
			errorf(e, "decode: %v", err)
			code = exitUsage
			continue
		}
		for i, s := range d.Snapshots {
			if *first && i > 0 {
				break
			}
			m, err := cmis.Decode(s)
			if err != nil {
				errorf(e, "decode: %s: read %d: %v", name, i+1, err)
				code = exitUsage
				continue
			}
			entry := report.Entry{Source: report.Source{File: name, Format: d.Format.String(), Snapshot: i + 1}, Module: m}
			if *asJSON {
				err = report.JSON(e.stdout, entry)
			} else {
				err = report.Text(e.stdout, entry)
			}
			if err != nil {
				errorf(e, "decode: %v", err)
				return exitError
			}
		}
	}
	return code
}
