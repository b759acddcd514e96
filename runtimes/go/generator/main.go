// metaffi-go: the Go side of the metaffi command for Go sources.
//
//	metaffi-go idl <source>                                  print the IDL as JSON
//	metaffi-go prepare <source> <build dir> <runtime folder> <metaffi.h>
//	                                                         write the guest's build module
//
// <source> is a .go file (that file alone) or a package folder.
package main

import (
	"encoding/json"
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: metaffi-go idl <source> | prepare <source> <build dir> <runtime folder> <metaffi.h>")
	}
	p, err := loadPackage(args[1])
	if err != nil {
		return err
	}
	m := buildModel(p)
	switch args[0] {
	case "idl":
		warnSkipped(m)
		out, err := json.MarshalIndent(m.IDL(), "", "  ")
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(append(out, '\n'))
		return err
	case "prepare":
		if len(args) != 5 {
			return fmt.Errorf("usage: metaffi-go prepare <source> <build dir> <runtime folder> <metaffi.h>")
		}
		if err := prepareBuild(p, m, args[2], args[3], args[4]); err != nil {
			return err
		}
		fmt.Println(guestName(p))
		return nil
	}
	return fmt.Errorf("unknown command %q", args[0])
}
