package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/issuance/client"
)

// The issuer-facing commands (learner, card, issue, credential, revoke, job, keys, token) talk to
// the issuer service. They find it and authenticate in this order: --server/--token, the
// environment (EDULEDGER_SERVER, EDULEDGER_TOKEN, or EDULEDGER_TOKEN_FILE naming a file holding
// the token), then the keys "server" and "token" of the --config file.

const defaultServer = "http://127.0.0.1:8080"

// serverFlags are the connection flags of an issuer-facing command.
type serverFlags struct {
	server string
	token  string
}

func (f *serverFlags) add(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.server, "server", "", "issuer service URL (default $EDULEDGER_SERVER, then "+defaultServer+")")
	cmd.PersistentFlags().StringVar(&f.token, "token", "", "API token (default $EDULEDGER_TOKEN or the file $EDULEDGER_TOKEN_FILE)")
}

// client returns a client of the issuer service.
func (f *serverFlags) client(g *globals) (*client.Client, error) {
	server, token := f.server, f.token
	var file *viper.Viper
	if g.config != "" {
		file = viper.New()
		file.SetConfigFile(g.config)
		if err := file.ReadInConfig(); err != nil {
			return nil, usagef("read %s: %v", g.config, err)
		}
	}
	if server == "" {
		server = os.Getenv("EDULEDGER_SERVER")
	}
	if server == "" && file != nil {
		server = file.GetString("server")
	}
	if server == "" {
		server = defaultServer
	}
	if token == "" {
		token = os.Getenv("EDULEDGER_TOKEN")
	}
	if token == "" {
		if path := os.Getenv("EDULEDGER_TOKEN_FILE"); path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, usagef("EDULEDGER_TOKEN_FILE: %v", err)
			}
			token = strings.TrimSpace(string(b))
		}
	}
	if token == "" && file != nil {
		token = file.GetString("token")
	}
	if token == "" {
		return nil, usagef("no API token: pass --token, or set EDULEDGER_TOKEN (an admin creates tokens with 'eduledger token create')")
	}
	return client.New(server, token, client.WithUserAgent("eduledger-cli"))
}

// printJSON writes v as indented JSON.
func printJSON(s *streams, v any) error {
	enc := json.NewEncoder(s.out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// readJSONFile decodes a JSON file strictly into v.
func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return usagef("%v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return usagef("%s: %v", path, err)
	}
	return nil
}

// writeFileAtomic writes b to path through a temporary file in the same directory.
func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// fieldErrors prints the field errors of a refused request, one per line, so that a registrar
// sees every bad row at once; it returns err for the exit status.
func fieldErrors(s *streams, err error) error {
	p, ok := client.ProblemOf(err)
	if !ok || len(p.Errors) == 0 {
		return err
	}
	for _, f := range p.Errors {
		fmt.Fprintf(s.err, "  %s: %s\n", f.Field, f.Message)
	}
	var e *eduledger.Error
	if errors.As(err, &e) {
		return &eduledger.Error{Code: e.Code, Message: fmt.Sprintf("%s (%d problem(s) listed above)", p.Title, len(p.Errors)), Err: err}
	}
	return err
}
