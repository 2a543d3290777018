// Package config loads a binary's typed configuration with viper from, in increasing precedence,
// the struct's defaults, a YAML/JSON/TOML file, EDULEDGER_* environment variables and command-line
// flags, and prints it with secrets masked. It is the only place EduLedger touches viper: libraries
// receive plain structs.
//
// Keys come from `mapstructure` tags: a field Ledger.Backend tagged "ledger" and "backend" has the key
// "ledger.backend", the environment variable EDULEDGER_LEDGER_BACKEND and the flag --ledger-backend;
// "issuer.batch_size" has EDULEDGER_ISSUER_BATCH_SIZE and --issuer-batch-size.
package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// EnvPrefix is the prefix of every environment variable EduLedger reads.
const EnvPrefix = "EDULEDGER"

// Validator is implemented by configuration structs that can check themselves.
type Validator interface {
	Validate() error
}

// Load fills out, a pointer to a struct already holding the defaults, from file (optional), the
// environment and the flags that were set. It rejects unknown keys in the file, then calls
// out.Validate when out implements Validator.
func Load(out any, file string, flags *pflag.FlagSet) error {
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return errors.New("config: Load needs a pointer to a struct")
	}
	v := viper.New()
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
	keys := Keys(out)
	defaults := map[string]any{}
	flatten(rv.Elem(), "", defaults)
	for _, k := range keys {
		v.SetDefault(k, defaults[k])
		if err := v.BindEnv(k); err != nil {
			return fmt.Errorf("config: bind %s: %w", k, err)
		}
		if flags != nil {
			if f := flags.Lookup(FlagName(k)); f != nil {
				if err := v.BindPFlag(k, f); err != nil {
					return fmt.Errorf("config: bind flag --%s: %w", f.Name, err)
				}
			}
		}
	}
	if file != "" {
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return fmt.Errorf("config: read %s: %w", file, err)
		}
		known := map[string]bool{}
		for _, k := range keys {
			known[k] = true
		}
		for _, k := range v.AllKeys() {
			if !known[k] {
				return fmt.Errorf("config: %s: unknown setting %q", file, k)
			}
		}
	}
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result:           out,
		WeaklyTypedInput: true,
		TagName:          "mapstructure",
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(),
			mapstructure.StringToSliceHookFunc(","),
		),
	})
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	settings := map[string]any{}
	for _, k := range keys {
		settings[k] = v.Get(k)
	}
	if err := dec.Decode(nest(settings)); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if val, ok := out.(Validator); ok {
		if err := val.Validate(); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	return nil
}

// FlagName returns the flag that sets a key: dots and underscores become hyphens
// ("issuer.batch_size" is --issuer-batch-size).
func FlagName(key string) string { return strings.NewReplacer(".", "-", "_", "-").Replace(key) }

// EnvName returns the environment variable that sets a key.
func EnvName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}

// Keys lists the keys of a configuration struct in a stable order.
func Keys(cfg any) []string {
	m := map[string]any{}
	flatten(reflect.Indirect(reflect.ValueOf(cfg)), "", m)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func flatten(v reflect.Value, prefix string, out map[string]any) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := strings.Split(f.Tag.Get("mapstructure"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeOf(time.Time{}) {
			flatten(fv, key, out)
			continue
		}
		out[key] = fv.Interface()
	}
}

func nest(flat map[string]any) map[string]any {
	out := map[string]any{}
	for k, val := range flat {
		parts := strings.Split(k, ".")
		m := out
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		m[parts[len(parts)-1]] = val
	}
	return out
}

// Print writes one "key = value" line per setting, masking fields tagged `secret:"true"` so that
// start-up logs never hold a passphrase or token.
func Print(w io.Writer, cfg any) {
	values := map[string]string{}
	printable(reflect.Indirect(reflect.ValueOf(cfg)), "", values)
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s = %s\n", k, values[k])
	}
}

func printable(v reflect.Value, prefix string, out map[string]string) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("mapstructure"), ",")[0]
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		fv := v.Field(i)
		switch {
		case fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeOf(time.Time{}):
			printable(fv, key, out)
		case f.Tag.Get("secret") == "true":
			if fv.IsZero() {
				out[key] = "(unset)"
			} else {
				out[key] = "********"
			}
		default:
			out[key] = fmt.Sprint(fv.Interface())
		}
	}
}

// Log is the `log` section every binary shares.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `mapstructure:"level"`
	// JSON logs JSON lines instead of text.
	JSON bool `mapstructure:"json"`
}

// Validate checks the level.
func (l *Log) Validate() error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.Level)); err != nil {
		return fmt.Errorf("log.level must be debug, info, warn or error, not %q", l.Level)
	}
	return nil
}

// Logger returns the logger the section asks for, writing to w.
func (l *Log) Logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.Level)); err != nil {
		return nil, fmt.Errorf("log.level must be debug, info, warn or error, not %q", l.Level)
	}
	opts := &slog.HandlerOptions{Level: level}
	if l.JSON {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
