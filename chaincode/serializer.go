package chaincode

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

// serializer converts transaction arguments from their string form into the method's parameter
// types and results back to strings. It replaces contractapi's JSONSerializer, which validates
// every value against a JSON schema with gojsonschema (tens of microseconds a call), with plain
// encoding/json that is strict where it matters: unknown fields, trailing data and JSON null are
// refused, so a misspelt field is an error rather than a silently ignored input. The methods then
// check the decoded values with the domain's Validate methods.
type serializer struct {
	// names maps each non-string parameter type to the argument name used in error messages
	// ("INVALID: argument anchor: …"). It is built once by New and only read afterwards.
	names map[reflect.Type]string
}

var timeType = reflect.TypeFor[time.Time]()

// maxErrorDetail bounds the part of an error message that may echo input.
const maxErrorDetail = 300

// FromString decodes one argument.
func (s *serializer) FromString(param string, t reflect.Type, pm *metadata.ParameterMetadata, _ *metadata.ComponentMetadata) (reflect.Value, error) {
	name := s.names[t]
	if name == "" && pm != nil {
		name = pm.Name
	}
	switch t.Kind() {
	case reflect.String:
		return reflect.ValueOf(param).Convert(t), nil
	case reflect.Bool:
		b, err := strconv.ParseBool(param)
		if err != nil {
			return reflect.Value{}, argError(name, "%.40q is not true or false", param)
		}
		return reflect.ValueOf(b).Convert(t), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(param, 10, t.Bits())
		if err != nil {
			return reflect.Value{}, argError(name, "%.40q is not a whole number of at most %d bits", param, t.Bits())
		}
		v := reflect.New(t).Elem()
		v.SetInt(n)
		return v, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(param, 10, t.Bits())
		if err != nil {
			return reflect.Value{}, argError(name, "%.40q is not a non-negative whole number of at most %d bits", param, t.Bits())
		}
		v := reflect.New(t).Elem()
		v.SetUint(n)
		return v, nil
	case reflect.Struct, reflect.Slice, reflect.Map, reflect.Array, reflect.Pointer:
		if t == timeType {
			tm, err := time.Parse(time.RFC3339Nano, param)
			if err != nil {
				return reflect.Value{}, argError(name, "%.40q is not an RFC 3339 time", param)
			}
			return reflect.ValueOf(tm), nil
		}
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return reflect.ValueOf([]byte(param)).Convert(t), nil
		}
		v := reflect.New(t)
		if err := decodeStrict(param, v.Interface()); err != nil {
			return reflect.Value{}, argError(name, "%s", err.Error())
		}
		return v.Elem(), nil
	}
	return reflect.Value{}, fmt.Errorf("chaincode: no conversion for parameter type %s", t)
}

// ToString encodes a result: strings as they are, numbers and booleans in Go's formatting, nil as
// the empty string, everything else as JSON.
func (s *serializer) ToString(v reflect.Value, _ reflect.Type, _ *metadata.ReturnMetadata, _ *metadata.ComponentMetadata) (string, error) {
	if !v.IsValid() {
		return "", nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice:
		if v.IsNil() {
			return "", nil
		}
	case reflect.String:
		return v.String(), nil
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10), nil
	}
	if v.Type() == timeType {
		return v.Interface().(time.Time).Format(time.RFC3339Nano), nil
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return "", fmt.Errorf("chaincode: encode result: %w", err)
	}
	return string(b), nil
}

// decodeStrict decodes exactly one JSON value into v, refusing unknown fields, JSON null and
// trailing data, and describes any problem in words a caller can act on.
func decodeStrict(s string, v any) error {
	if strings.TrimSpace(s) == "null" {
		return errors.New("must be a JSON value, not null")
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeJSONError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	// encoding/json keeps the last of two members with the same name and replaces invalid UTF-8
	// silently; other readers of the same transaction (a block explorer, an auditor's parser) may
	// keep the first or refuse it. The ledger records only arguments every reader reads alike.
	if _, err := jsoncanon.ParseValue([]byte(s), jsoncanon.Limits{MaxBytes: len(s), MaxDepth: maxArgDepth}); err != nil {
		var je *jsoncanon.Error
		if errors.As(err, &je) {
			if je.Path != "" {
				return fmt.Errorf("field %s: %s (byte %d)", je.Path, je.Msg, je.Offset)
			}
			return fmt.Errorf("%s (byte %d)", je.Msg, je.Offset)
		}
		return err
	}
	return nil
}

// maxArgDepth bounds the nesting of a JSON argument; the deepest domain type nests a few levels.
const maxArgDepth = 32

func describeJSONError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tm *time.ParseError
	switch {
	case errors.As(err, &tm):
		return errors.New("holds a time that is not in RFC 3339 form, such as 2026-07-01T08:00:00Z")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("is empty or cut short; expected a JSON document")
	case errors.As(err, &syntax):
		return fmt.Errorf("is not valid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Errorf("field %s must not be a JSON %s", typ.Field, typ.Value)
		}
		return fmt.Errorf("must not be a JSON %s", typ.Value)
	}
	return errors.New(truncate(strings.TrimPrefix(err.Error(), "json: "), maxErrorDetail))
}

func argError(name, format string, args ...any) error {
	return eduledger.Errorf(eduledger.EINVALID, "argument %s: %s", name, fmt.Sprintf(format, args...))
}
