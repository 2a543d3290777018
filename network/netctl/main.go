// Command netctl is network/up.sh's helper for the steps that need EduLedger's own code: issuing
// staff identities with EduLedger's attributes from each organisation's cryptogen CA (sdk/msp),
// writing connection profiles, the bootstrap transaction, and the readiness probe through every
// organisation's gateway (sdk/ledger/fabric).
//
// Usage:
//
//	netctl staff -crypto DIR -out DIR
//	netctl profiles -crypto DIR -out DIR -peer gov=127.0.0.1:17100 -peer school=… -peer enterprise=…
//	netctl bootstrap -profile FILE -identity DIR
//	netctl ready -profiles DIR -crypto DIR [-function NAME] [-timeout 2m]
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: netctl staff|profiles|bootstrap|ready [flags]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "staff":
		err = staffCmd(os.Args[2:])
	case "profiles":
		err = profilesCmd(os.Args[2:])
	case "bootstrap":
		err = bootstrapCmd(ctx, os.Args[2:])
	case "ready":
		err = readyCmd(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (staff, profiles, bootstrap, ready)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "netctl:", err)
		os.Exit(1)
	}
}
