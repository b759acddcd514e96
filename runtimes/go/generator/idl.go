package main

import (
	"go/types"
	"path/filepath"
	"strings"
)

// The MetaFFI IDL (src/idl/schema.ts).

type IdlArg struct {
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	TypeAlias  string            `json:"type_alias"`
	Comment    string            `json:"comment"`
	Tags       map[string]string `json:"tags"`
	Dimensions int               `json:"dimensions"`
	IsOptional bool              `json:"is_optional"`
}

type IdlFunction struct {
	Name             string            `json:"name"`
	Comment          string            `json:"comment"`
	Tags             map[string]string `json:"tags"`
	EntityPath       map[string]string `json:"entity_path"`
	Parameters       []IdlArg          `json:"parameters"`
	ReturnValues     []IdlArg          `json:"return_values"`
	OverloadIndex    int               `json:"overload_index"`
	InstanceRequired bool              `json:"instance_required,omitempty"`
}

type IdlField struct {
	IdlArg
	Getter *IdlFunction `json:"getter"`
	Setter *IdlFunction `json:"setter"`
}

type IdlClass struct {
	Name         string            `json:"name"`
	Comment      string            `json:"comment"`
	Tags         map[string]string `json:"tags"`
	EntityPath   map[string]string `json:"entity_path"`
	Constructors []IdlFunction     `json:"constructors"`
	Release      *IdlFunction      `json:"release"`
	Methods      []IdlFunction     `json:"methods"`
	Fields       []IdlField        `json:"fields"`
}

type IdlModule struct {
	Name              string            `json:"name"`
	Comment           string            `json:"comment"`
	Tags              map[string]string `json:"tags"`
	Functions         []IdlFunction     `json:"functions"`
	Classes           []IdlClass        `json:"classes"`
	Globals           []IdlField        `json:"globals"`
	ExternalResources []string          `json:"external_resources"`
}

type IdlDefinition struct {
	IdlSource                string      `json:"idl_source"`
	IdlExtension             string      `json:"idl_extension"`
	IdlFilenameWithExtension string      `json:"idl_filename_with_extension"`
	IdlFullPath              string      `json:"idl_full_path"`
	MetaffiGuestLib          string      `json:"metaffi_guest_lib"`
	TargetLanguage           string      `json:"target_language"`
	Modules                  []IdlModule `json:"modules"`
}

// guestName is the name of the guest library: the file name without .go, or the folder name.
func guestName(p *Pkg) string {
	base := filepath.Base(p.Source)
	return strings.TrimSuffix(base, ".go")
}

func (m *Model) qualifier() types.Qualifier {
	return func(pkg *types.Package) string {
		if pkg == m.Pkg.Types {
			return ""
		}
		return pkg.Name()
	}
}

// idlType maps a Go type to a MetaFFI type name and array dimensions.
func idlType(t types.Type) (string, int) {
	dims := 0
	for {
		switch u := t.Underlying().(type) {
		case *types.Slice:
			dims++
			t = u.Elem()
			continue
		case *types.Array:
			dims++
			t = u.Elem()
			continue
		}
		break
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		if bt, ok := basicTypes[u.Kind()]; ok {
			return bt.idl, dims
		}
		return "handle", dims
	case *types.Interface:
		if u.Empty() {
			return "any", dims
		}
		return "handle", dims
	case *types.Signature:
		return "callable", dims
	}
	return "handle", dims
}

func (m *Model) arg(p Param, comment string) IdlArg {
	typ, dims := idlType(p.Type)
	return IdlArg{Name: p.Name, Type: typ, TypeAlias: types.TypeString(p.Type, m.qualifier()), Comment: comment, Tags: map[string]string{}, Dimensions: dims}
}

func (m *Model) idlFunction(e *Entity, overload int) IdlFunction {
	f := IdlFunction{Name: e.IdlName, Comment: e.Doc, Tags: e.Tags, EntityPath: e.Path, OverloadIndex: overload, InstanceRequired: e.Instance,
		Parameters: []IdlArg{}, ReturnValues: []IdlArg{}}
	for i, p := range e.Params {
		a := m.arg(p, "")
		if i == 0 && e.Instance {
			a.TypeAlias = types.TypeString(p.Type, m.qualifier())
		}
		if e.Variadic && i == len(e.Params)-1 {
			a.Tags["variadic"] = "true"
		}
		f.Parameters = append(f.Parameters, a)
	}
	for _, r := range e.Results {
		f.ReturnValues = append(f.ReturnValues, m.arg(r, ""))
	}
	return f
}

func (m *Model) idlField(fp *FieldPair) IdlField {
	out := IdlField{IdlArg: m.arg(Param{fp.Name, fp.Type}, fp.Doc)}
	if fp.Getter != nil {
		g := m.idlFunction(fp.Getter, 0)
		out.Getter = &g
	}
	if fp.Setter != nil {
		s := m.idlFunction(fp.Setter, 0)
		out.Setter = &s
	}
	if fp.Getter != nil && fp.Getter.IsConst {
		out.Tags["constant"] = "true"
	}
	return out
}

func (m *Model) IDL() *IdlDefinition {
	p := m.Pkg
	name := guestName(p)
	ext := ""
	if strings.HasSuffix(p.Source, ".go") {
		ext = ".go"
	}
	mod := IdlModule{Name: name, Tags: map[string]string{"go_package": p.Name}, Functions: []IdlFunction{}, Classes: []IdlClass{},
		Globals: []IdlField{}, ExternalResources: []string{}}
	if p.ImportPath != "" && !p.Main {
		mod.Tags["go_import_path"] = p.ImportPath
	}
	for _, f := range p.AST {
		if f.Doc != nil && mod.Comment == "" {
			mod.Comment = strings.TrimSpace(f.Doc.Text())
		}
	}
	for _, f := range m.Functions {
		mod.Functions = append(mod.Functions, m.idlFunction(f, 0))
	}
	for _, c := range m.Classes {
		cl := IdlClass{Name: c.Named.Obj().Name(), Comment: c.Doc, Tags: map[string]string{}, Constructors: []IdlFunction{}, Methods: []IdlFunction{}, Fields: []IdlField{}}
		if c.Interface {
			cl.Tags["interface"] = "true"
		}
		for i, k := range c.Ctors {
			cl.Constructors = append(cl.Constructors, m.idlFunction(k, i))
		}
		for _, k := range c.Methods {
			cl.Methods = append(cl.Methods, m.idlFunction(k, 0))
		}
		for _, fp := range c.Fields {
			cl.Fields = append(cl.Fields, m.idlField(fp))
		}
		// Releasing is not a guest entity: the handle's own release() (or garbage
		// collection) drops the Go reference, so the release entity path is empty.
		cl.Release = &IdlFunction{Name: "Release" + cl.Name, Comment: "Releases the Go object: call release() on its MetaFFIHandle.",
			Tags: map[string]string{"release": "handle"}, EntityPath: map[string]string{},
			Parameters:   []IdlArg{{Name: "this_instance", Type: "handle", TypeAlias: types.TypeString(types.NewPointer(c.Named), m.qualifier()), Tags: map[string]string{}}},
			ReturnValues: []IdlArg{}, InstanceRequired: true}
		mod.Classes = append(mod.Classes, cl)
	}
	for _, g := range m.Globals {
		mod.Globals = append(mod.Globals, m.idlField(g))
	}
	return &IdlDefinition{
		IdlSource:                name,
		IdlExtension:             ext,
		IdlFilenameWithExtension: filepath.Base(p.Source),
		IdlFullPath:              p.Source,
		MetaffiGuestLib:          name + "_MetaFFIGuest",
		TargetLanguage:           "go",
		Modules:                  []IdlModule{mod},
	}
}
