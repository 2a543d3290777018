// Command eduledger is EduLedger's command line: it creates a development network, runs the whole
// system on the embedded ledger, tells the demo story, inspects and verifies the ledger, and talks to
// the issuer service for registrars.
//
// Every failure ends with one readable line on standard error and a non-zero exit status: 2 for a
// mistake in how the command was called or in its input, 1 for everything else.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/eduledger/eduledger"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd(os.Stdin, os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "eduledger: "+errorLine(err))
		os.Exit(exitCode(err))
	}
}

// usageError marks a mistake in how the command was called.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exitCode is 2 for usage and input mistakes, 1 otherwise.
func exitCode(err error) int {
	var u *usageError
	if errors.As(err, &u) || eduledger.ErrorCode(err) == eduledger.EINVALID {
		return 2
	}
	// Cobra's own words for a command that does not exist.
	if strings.HasPrefix(err.Error(), "unknown command ") || strings.HasPrefix(err.Error(), "unknown shorthand flag") {
		return 2
	}
	return 1
}

// errorLine renders err on one line. Domain errors read "CODE: message"; for internal ones the
// cause is kept, because the person at the terminal is the operator who has to act on it.
func errorLine(err error) string {
	var e *eduledger.Error
	msg := err.Error()
	if errors.As(err, &e) && e.Code == eduledger.EINTERNAL && e.Err != nil {
		msg = e.Error() + ": " + e.Err.Error()
	}
	return strings.Join(strings.Fields(msg), " ")
}

// streams are the command's standard streams, passed down so that tests can drive commands.
type streams struct {
	in       io.Reader
	out, err io.Writer
}
