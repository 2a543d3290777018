package credential

import (
	"embed"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

//go:embed schemas/*.json
var schemaFiles embed.FS

// SchemaID returns the $id of the JSON Schema of type t ("urn:eduledger:schema:Diploma:1").
func SchemaID(t eduledger.CredentialType) string { return "urn:eduledger:schema:" + string(t) + ":1" }

// Schema returns the JSON Schema document of type t, as published in docs/ and used by
// Validate.
func Schema(t eduledger.CredentialType) ([]byte, error) {
	if !t.Valid() {
		return nil, eduledger.Errorf(eduledger.EINVALID, "unknown credential type %q", t)
	}
	name := strings.ToLower(string(t[:1])) + string(t[1:]) + ".json"
	return schemaFiles.ReadFile(path.Join("schemas", name))
}

// Schemas holds the compiled JSON Schemas of every credential type. It is immutable and safe for
// concurrent use; compile it once (NewSchemas) and share it.
type Schemas struct {
	byType map[eduledger.CredentialType]*jsonschema.Schema
	fast   map[eduledger.CredentialType]*fastSchema
}

// NewSchemas compiles the embedded schemas.
func NewSchemas() (*Schemas, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	fc := newFastCompiler()
	entries, err := schemaFiles.ReadDir("schemas")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := schemaFiles.ReadFile(path.Join("schemas", e.Name()))
		if err != nil {
			return nil, err
		}
		doc, err := jsoncanon.Parse(b, jsoncanon.Limits{})
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", e.Name(), err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if err := c.AddResource(id, doc); err != nil {
			return nil, fmt.Errorf("schema %s: %w", e.Name(), err)
		}
		fc.add(id, doc.(map[string]any))
	}
	s := &Schemas{byType: map[eduledger.CredentialType]*jsonschema.Schema{}, fast: map[eduledger.CredentialType]*fastSchema{}}
	for _, t := range eduledger.CredentialTypes {
		sch, err := c.Compile(SchemaID(t))
		if err != nil {
			return nil, fmt.Errorf("compile schema of %s: %w", t, err)
		}
		s.byType[t] = sch
		if s.fast[t], err = fc.compileRoot(SchemaID(t)); err != nil {
			return nil, fmt.Errorf("compile schema of %s: %w", t, err)
		}
	}
	return s, nil
}

// SchemaError lists where a document breaks its type's schema. Each entry names the field by its
// JSON path ("credentialSubject.achievement.name") and says what is wrong.
type SchemaError struct {
	Type   eduledger.CredentialType
	Fields []FieldError
}

// FieldError is one schema violation.
type FieldError struct {
	// Field is the JSON path of the offending value; "" is the document itself.
	Field string `json:"field"`
	// Problem says what is wrong with it.
	Problem string `json:"problem"`
}

func (e *SchemaError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s schema: ", e.Type)
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		if f.Field == "" {
			b.WriteString(f.Problem)
		} else {
			b.WriteString(f.Field + ": " + f.Problem)
		}
	}
	return b.String()
}

// maxFieldErrors bounds how many violations a SchemaError lists.
const maxFieldErrors = 8

// validateReference checks doc with the reference validator only (tests).
func (s *Schemas) validateReference(t eduledger.CredentialType, doc any) bool {
	return s.byType[t].Validate(doc) == nil
}

// validateFast checks plain values with the fast validator only (tests).
func (s *Schemas) validateFast(t eduledger.CredentialType, doc any) bool {
	v, err := jsoncanon.FromAny(doc)
	return err == nil && s.fast[t].valid(v)
}

// Validate checks a parsed document — a *jsoncanon.Value, or plain values as jsoncanon.Parse
// returns them — against the schema of type t. It returns a *SchemaError naming each offending
// field.
func (s *Schemas) Validate(t eduledger.CredentialType, doc any) error {
	sch, ok := s.byType[t]
	if !ok {
		return &SchemaError{Type: t, Fields: []FieldError{{Problem: fmt.Sprintf("unknown credential type %q", t)}}}
	}
	v, isValue := doc.(*jsoncanon.Value)
	if !isValue {
		var err error
		if v, err = jsoncanon.FromAny(doc); err != nil {
			return &SchemaError{Type: t, Fields: []FieldError{{Problem: err.Error()}}}
		}
	}
	if s.fast[t].valid(v) {
		return nil
	}
	if isValue {
		doc = v.Any() // the reference validator reads plain values
	}
	err := sch.Validate(doc)
	if err == nil {
		// The validators disagree, which FuzzFastSchemaAgrees exists to prevent: refuse, since
		// the stricter answer is the safe one.
		return &SchemaError{Type: t, Fields: []FieldError{{Problem: "rejected by the schema validator"}}}
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return &SchemaError{Type: t, Fields: []FieldError{{Problem: err.Error()}}}
	}
	p := message.NewPrinter(language.English)
	var fields []FieldError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			f := FieldError{Field: fieldPath(e.InstanceLocation), Problem: e.ErrorKind.LocalizedString(p)}
			if !slices.Contains(fields, f) && len(fields) < maxFieldErrors {
				fields = append(fields, f)
			}
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return &SchemaError{Type: t, Fields: fields}
}

// fieldPath renders an instance location as a JSON path: ["proof","1","type"] -> "proof[1].type".
func fieldPath(loc []string) string {
	elems := make([]any, len(loc))
	for i, s := range loc {
		elems[i] = s
		if s != "" && strings.Trim(s, "0123456789") == "" && (len(s) == 1 || s[0] != '0') {
			elems[i] = atoi(s)
		}
	}
	return jsoncanon.FieldPath(elems...)
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
