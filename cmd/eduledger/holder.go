package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/holder"
	"github.com/eduledger/eduledger/sdk/keystore"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// Key IDs of a holder's two keys in their key store.
const (
	holderSignKey    = "holder-ed25519"
	holderDecryptKey = "holder-x25519"
)

// holderFlags are shared by the holder commands.
type holderFlags struct {
	keystore       string
	passphraseFile string
	learner        string
}

func newHolderCmd(g *globals, s *streams) *cobra.Command {
	f := &holderFlags{}
	cmd := &cobra.Command{
		Use:   "holder",
		Short: "A learner's own keys: receive encrypted records, sign documents, answer a verifier's challenge",
		Long: `holder works with the keys on a learner's education identity card, kept in an encrypted key
store on the learner's own machine. The passphrase comes from --passphrase-file, from
EDULEDGER_PASSPHRASE, or from a prompt.

  eduledger holder init --learner L2026000123          # create the keys; give the printed keys to your school
  eduledger holder decrypt transcript.enc.json -o transcript.json
  eduledger holder sign thesis.pdf --card card.json -o thesis.pdf.sig.json
  eduledger holder present diploma.json --challenge N --domain hr.example.com -o vp.json`,
	}
	cmd.PersistentFlags().StringVar(&f.keystore, "keystore", defaultKeystore(), "the learner's key store directory")
	cmd.PersistentFlags().StringVar(&f.passphraseFile, "passphrase-file", "", "read the key store passphrase from this file")
	cmd.PersistentFlags().StringVar(&f.learner, "learner", "", "the learner ID the keys belong to")

	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Create the holder's signing (Ed25519) and encryption (X25519) keys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !eduledger.ValidLocalID(f.learner) {
				return usagef("--learner must be your learner ID")
			}
			store, err := f.open(s)
			if err != nil {
				return err
			}
			controller := eduledger.LearnerDID(f.learner)
			ed, err := store.Generate(controller, multikey.Ed25519, holderSignKey)
			if err != nil {
				return err
			}
			x, err := store.Generate(controller, multikey.X25519, holderDecryptKey)
			if err != nil {
				return err
			}
			fmt.Fprintf(s.out, "Created your keys in %s.\nGive these two public keys to your school's registrar for your identity card:\n", f.keystore)
			fmt.Fprintf(s.out, "  signing key (publicKeyMultibase):        %s\n", ed.PublicKeyMultibase)
			fmt.Fprintf(s.out, "  encryption key (keyAgreementMultibase):  %s\n", x.PublicKeyMultibase)
			return nil
		},
	}

	var out, contentType string
	encrypt := &cobra.Command{
		Use:   "encrypt FILE --to CARD_OR_KEY",
		Short: "Encrypt a file to a holder (anyone may: it needs only the holder's card or public key)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			to, _ := cmd.Flags().GetString("to")
			recipient, err := recipientKey(to)
			if err != nil {
				return err
			}
			plain, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			ct := contentType
			if ct == "" {
				ct = guessType(args[0])
			}
			env, err := holder.Seal(recipient, ct, plain)
			if err != nil {
				return err
			}
			return writeOutput(s, out, env)
		},
	}
	encrypt.Flags().String("to", "", "the holder's identity card (JSON file) or X25519 Multikey")
	encrypt.Flags().StringVar(&contentType, "type", "", "content type of the file (default: from its extension)")

	decrypt := &cobra.Command{
		Use:   "decrypt ENVELOPE",
		Short: "Decrypt something encrypted to you (a transcript from your school, say)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			store, err := f.open(s)
			if err != nil {
				return err
			}
			plain, ct, err := holder.DecryptWith(store, holderDecryptKey, env)
			if err != nil {
				return err
			}
			if out != "" {
				fmt.Fprintf(s.err, "decrypted %d bytes of %s into %s\n", len(plain), ct, out)
			}
			return writeOutput(s, out, plain)
		},
	}

	var card string
	sign := &cobra.Command{
		Use:   "sign FILE --card CARD",
		Short: "Sign a document with your identity key; anyone can check it against your card",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			content, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			cardID, learner, err := cardIdentity(card)
			if err != nil {
				return err
			}
			if f.learner != "" && f.learner != learner {
				return usagef("the card belongs to learner %s, not %s", learner, f.learner)
			}
			store, err := f.open(s)
			if err != nil {
				return err
			}
			sig, err := holder.SignWith(store, holderSignKey, learner, cardID, filepath.Base(args[0]), guessType(args[0]), content, time.Now())
			if err != nil {
				return err
			}
			return writeOutput(s, out, sig)
		},
	}
	sign.Flags().StringVar(&card, "card", "", "your identity card (JSON file)")

	var challenge, domain string
	present := &cobra.Command{
		Use:   "present CREDENTIAL... --challenge NONCE --domain DOMAIN",
		Short: "Answer a verifier's challenge: present credentials signed with your identity key",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if challenge == "" || domain == "" {
				return usagef("--challenge and --domain come from the verifier (GET /v1/challenge)")
			}
			if !eduledger.ValidLocalID(f.learner) {
				return usagef("--learner must be your learner ID")
			}
			var creds [][]byte
			for _, a := range args {
				b, err := os.ReadFile(a)
				if err != nil {
					return err
				}
				creds = append(creds, b)
			}
			store, err := f.open(s)
			if err != nil {
				return err
			}
			vp, err := holder.PresentWith(store, holderSignKey, f.learner, creds, challenge, domain, time.Now())
			if err != nil {
				return err
			}
			return writeOutput(s, out, vp)
		},
	}
	present.Flags().StringVar(&challenge, "challenge", "", "the verifier's nonce")
	present.Flags().StringVar(&domain, "domain", "", "the verifier's domain")

	for _, c := range []*cobra.Command{encrypt, decrypt, sign, present} {
		c.Flags().StringVarP(&out, "output", "o", "", "write the result to this file (default: standard output)")
	}
	cmd.AddCommand(initCmd, encrypt, decrypt, sign, present, newShareCmd(f, s))
	return cmd
}

func defaultKeystore() string {
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".eduledger", "holder")
	}
	return ".eduledger-holder"
}

// open opens the key store with the passphrase from a file, the environment or a prompt.
func (f *holderFlags) open(s *streams) (*keystore.Store, error) {
	var pass []byte
	switch {
	case f.passphraseFile != "":
		b, err := os.ReadFile(f.passphraseFile)
		if err != nil {
			return nil, err
		}
		pass = []byte(strings.TrimRight(string(b), "\r\n"))
	case os.Getenv("EDULEDGER_PASSPHRASE") != "":
		pass = []byte(os.Getenv("EDULEDGER_PASSPHRASE"))
	default:
		in, ok := s.in.(*os.File)
		if !ok || !term.IsTerminal(int(in.Fd())) {
			return nil, usagef("no passphrase: use --passphrase-file or set EDULEDGER_PASSPHRASE")
		}
		fmt.Fprint(s.err, "Key store passphrase: ")
		b, err := term.ReadPassword(int(in.Fd()))
		fmt.Fprintln(s.err)
		if err != nil {
			return nil, err
		}
		pass = b
	}
	return keystore.Open(f.keystore, pass)
}

// recipientKey reads the X25519 key from an identity card file, or takes a Multikey as given.
func recipientKey(to string) (string, error) {
	if to == "" {
		return "", usagef("--to names the holder's identity card or X25519 key")
	}
	if strings.HasPrefix(to, "z") {
		if _, err := os.Stat(to); err != nil {
			return to, nil
		}
	}
	var c struct {
		Subject struct {
			Key string `json:"keyAgreementMultibase"`
		} `json:"credentialSubject"`
	}
	b, err := os.ReadFile(to)
	if err != nil {
		return "", err
	}
	if err := json.Unmarshal(b, &c); err != nil || c.Subject.Key == "" {
		return "", eduledger.Errorf(eduledger.EINVALID, "%s is not an identity card with an encryption key", to)
	}
	return c.Subject.Key, nil
}

// cardIdentity reads the credential ID and learner ID of an identity card file.
func cardIdentity(path string) (cardID, learnerID string, err error) {
	if path == "" {
		return "", "", usagef("--card names your identity card (JSON file)")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	var c struct {
		ID      string `json:"id"`
		Subject struct {
			LearnerID string `json:"learnerId"`
		} `json:"credentialSubject"`
	}
	if err := json.Unmarshal(b, &c); err != nil || c.ID == "" || c.Subject.LearnerID == "" {
		return "", "", eduledger.Errorf(eduledger.EINVALID, "%s is not an identity card", path)
	}
	return c.ID, c.Subject.LearnerID, nil
}

func guessType(name string) string {
	if t := mime.TypeByExtension(filepath.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// writeOutput writes b to the named file (0600: it may be a decrypted record) or to standard output.
func writeOutput(s *streams, path string, b []byte) error {
	if path == "" {
		w := bufio.NewWriter(s.out)
		w.Write(b)
		if len(b) > 0 && b[len(b)-1] != '\n' {
			w.WriteByte('\n')
		}
		return w.Flush()
	}
	return os.WriteFile(path, b, 0o600)
}
