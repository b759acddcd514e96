package main

import (
	"fmt"
	"go/constant"
	"go/types"
	"os"
	"sort"
	"strings"
)

// Param is a parameter or result of an entity.
type Param struct {
	Name string
	Type types.Type
}

// Entity is one loadable thing: a function, a method, a field or global accessor, or a
// zero-value constructor.
type Entity struct {
	Path     map[string]string // the entity path, e.g. {callable: "Point.Move", instance_required: "true"}
	Kind     string            // func, method, new, field_get, field_set, global_get, global_set
	Name     string            // for messages: "Add", "Point.Move", "Point.X"
	IdlName  string            // the IDL name: "Move", "GetX", "SetX"
	Params   []Param           // the object first for methods and fields
	Results  []Param           // without a trailing error
	HasErr   bool
	Variadic bool
	Instance bool
	Doc      string
	Obj      types.Object // the function, method, field, variable or constant
	Owner    *types.Named // methods, fields, constructors
	IsConst  bool
	Tags     map[string]string
}

// Class is a named type with methods or fields.
type Class struct {
	Named     *types.Named
	Doc       string
	Interface bool
	Ctors     []*Entity
	Methods   []*Entity
	Fields    []*FieldPair
}

// FieldPair is a struct field or a package variable with its accessors.
type FieldPair struct {
	Name   string
	Type   types.Type
	Doc    string
	Getter *Entity
	Setter *Entity
}

type Model struct {
	Pkg       *Pkg
	Functions []*Entity
	Classes   []*Class
	Globals   []*FieldPair
	Skipped   []string
}

func (p *Pkg) accessible(t types.Type) bool {
	seen := map[types.Type]bool{}
	var ok func(t types.Type) bool
	ok = func(t types.Type) bool {
		if seen[t] {
			return true
		}
		seen[t] = true
		switch t := t.(type) {
		case *types.Basic:
			return t.Kind() != types.UntypedNil && t.Kind() != types.Invalid
		case *types.Pointer:
			return ok(t.Elem())
		case *types.Slice:
			return ok(t.Elem())
		case *types.Array:
			return ok(t.Elem())
		case *types.Map:
			return ok(t.Key()) && ok(t.Elem())
		case *types.Chan:
			return ok(t.Elem())
		case *types.Signature:
			if t.TypeParams().Len() > 0 {
				return false
			}
			for i := 0; i < t.Params().Len(); i++ {
				if !ok(t.Params().At(i).Type()) {
					return false
				}
			}
			for i := 0; i < t.Results().Len(); i++ {
				if !ok(t.Results().At(i).Type()) {
					return false
				}
			}
			return true
		case *types.Struct:
			for i := 0; i < t.NumFields(); i++ {
				if !t.Field(i).Exported() && !p.Main {
					return false
				}
				if !ok(t.Field(i).Type()) {
					return false
				}
			}
			return true
		case *types.Interface:
			for i := 0; i < t.NumMethods(); i++ {
				if !t.Method(i).Exported() && !p.Main {
					return false
				}
			}
			return true
		case *types.Alias:
			return ok(types.Unalias(t))
		case *types.Named:
			obj := t.Obj()
			if obj.Pkg() == nil {
				return true // error
			}
			if t.TypeArgs().Len() > 0 {
				for i := 0; i < t.TypeArgs().Len(); i++ {
					if !ok(t.TypeArgs().At(i)) {
						return false
					}
				}
			} else if t.TypeParams().Len() > 0 {
				return false
			}
			path := obj.Pkg().Path()
			if obj.Pkg() == p.Types {
				return obj.Exported() || p.Main
			}
			if path == "C" || strings.HasPrefix(path, "_cgo") {
				return false
			}
			if strings.HasPrefix(path, "internal/") || strings.Contains(path, "/internal/") || strings.HasSuffix(path, "/internal") {
				return false
			}
			return obj.Exported()
		}
		return false
	}
	return ok(t)
}

func tupleParams(t *types.Tuple, prefix string) []Param {
	var out []Param
	for i := 0; i < t.Len(); i++ {
		name := t.At(i).Name()
		if name == "" || name == "_" {
			name = fmt.Sprintf("%s%d", prefix, i)
		}
		out = append(out, Param{Name: name, Type: t.At(i).Type()})
	}
	return out
}

func isError(t types.Type) bool {
	return types.Identical(t, types.Universe.Lookup("error").Type())
}

// signatureEntity fills params/results of a function or method.
func (m *Model) signatureEntity(e *Entity, sig *types.Signature) bool {
	e.Params = append(e.Params, tupleParams(sig.Params(), "p")...)
	res := tupleParams(sig.Results(), "r")
	if n := len(res); n > 0 && isError(res[n-1].Type) {
		e.HasErr = true
		res = res[:n-1]
	}
	e.Results = res
	e.Variadic = sig.Variadic()
	for _, p := range append(append([]Param{}, e.Params...), e.Results...) {
		if !m.Pkg.accessible(p.Type) {
			m.Skipped = append(m.Skipped, fmt.Sprintf("%s: the type %s cannot be named outside its package", e.Name, p.Type))
			return false
		}
	}
	if e.HasErr {
		e.Tags["has_error_return"] = "true"
	}
	if e.Variadic {
		e.Tags["variadic"] = "true"
	}
	return true
}

func buildModel(p *Pkg) *Model {
	m := &Model{Pkg: p}
	scope := p.Types.Scope()
	classes := map[*types.Named]*Class{}
	names := scope.Names()
	sort.Strings(names)
	for _, name := range names {
		obj := scope.Lookup(name)
		if !obj.Exported() || p.fromRuntime(obj) {
			continue
		}
		switch o := obj.(type) {
		case *types.Func:
			sig := o.Type().(*types.Signature)
			if sig.TypeParams().Len() > 0 {
				m.Skipped = append(m.Skipped, name+": generic functions need type arguments")
				continue
			}
			e := &Entity{Path: map[string]string{"callable": name}, Kind: "func", Name: name, IdlName: name, Doc: p.doc(o), Obj: o, Tags: map[string]string{}}
			if m.signatureEntity(e, sig) {
				m.Functions = append(m.Functions, e)
			}
		case *types.TypeName:
			if o.IsAlias() {
				continue
			}
			named, ok := o.Type().(*types.Named)
			if !ok || named.TypeParams().Len() > 0 {
				if ok {
					m.Skipped = append(m.Skipped, name+": generic types need type arguments")
				}
				continue
			}
			if c := m.buildClass(named); c != nil {
				classes[named] = c
				m.Classes = append(m.Classes, c)
			}
		case *types.Var:
			if !p.accessible(o.Type()) {
				m.Skipped = append(m.Skipped, fmt.Sprintf("%s: the type %s cannot be named outside its package", name, o.Type()))
				continue
			}
			fp := &FieldPair{Name: name, Type: o.Type(), Doc: p.doc(o)}
			fp.Getter = &Entity{Path: map[string]string{"global": name, "getter": "true"}, Kind: "global_get", Name: name, IdlName: "Get" + name, Results: []Param{{name, o.Type()}}, Obj: o, Doc: fp.Doc, Tags: map[string]string{}}
			fp.Setter = &Entity{Path: map[string]string{"global": name, "setter": "true"}, Kind: "global_set", Name: name, IdlName: "Set" + name, Params: []Param{{name, o.Type()}}, Obj: o, Doc: fp.Doc, Tags: map[string]string{}}
			m.Globals = append(m.Globals, fp)
		case *types.Const:
			t := constType(o)
			if !p.accessible(t) {
				continue
			}
			fp := &FieldPair{Name: name, Type: t, Doc: p.doc(o)}
			fp.Getter = &Entity{Path: map[string]string{"global": name, "getter": "true"}, Kind: "global_get", Name: name, IdlName: "Get" + name, Results: []Param{{name, t}}, Obj: o, IsConst: true, Doc: fp.Doc, Tags: map[string]string{"constant": "true"}}
			m.Globals = append(m.Globals, fp)
		}
	}
	// Functions named New<Type> that return the type are also its constructors.
	for _, f := range m.Functions {
		if !strings.HasPrefix(f.Name, "New") || len(f.Results) == 0 {
			continue
		}
		t := f.Results[0].Type
		if ptr, ok := t.(*types.Pointer); ok {
			t = ptr.Elem()
		}
		if named, ok := t.(*types.Named); ok {
			if c := classes[named]; c != nil && !c.Interface {
				c.Ctors = append(c.Ctors, f)
			}
		}
	}
	return m
}

// constType is the Go type a constant is read as: its own, or the default of an untyped one.
func constType(c *types.Const) types.Type {
	t := c.Type()
	b, ok := t.(*types.Basic)
	if !ok || b.Info()&types.IsUntyped == 0 {
		return t
	}
	switch c.Val().Kind() {
	case constant.Bool:
		return types.Typ[types.Bool]
	case constant.String:
		return types.Typ[types.String]
	case constant.Int:
		if b.Kind() == types.UntypedRune {
			return types.Typ[types.Int32]
		}
		if _, exact := constant.Int64Val(c.Val()); exact {
			return types.Typ[types.Int64]
		}
		if _, exact := constant.Uint64Val(c.Val()); exact {
			return types.Typ[types.Uint64]
		}
		return types.Typ[types.Float64]
	case constant.Float:
		return types.Typ[types.Float64]
	default:
		return types.Typ[types.Complex128]
	}
}

func (m *Model) buildClass(named *types.Named) *Class {
	p := m.Pkg
	name := named.Obj().Name()
	c := &Class{Named: named, Doc: p.doc(named.Obj())}
	_, isStruct := named.Underlying().(*types.Struct)
	_, c.Interface = named.Underlying().(*types.Interface)
	recvT := types.Type(named)
	var mset *types.MethodSet
	if c.Interface {
		mset = types.NewMethodSet(named)
	} else {
		mset = types.NewMethodSet(types.NewPointer(named))
	}
	valueSet := types.NewMethodSet(named)
	for i := 0; i < mset.Len(); i++ {
		fn, ok := mset.At(i).Obj().(*types.Func)
		if !ok || !fn.Exported() {
			continue
		}
		sig := fn.Type().(*types.Signature)
		recv := recvT
		ptrRecv := false
		if !c.Interface && (isStruct || valueSet.Lookup(fn.Pkg(), fn.Name()) == nil) {
			recv = types.NewPointer(named)
			ptrRecv = valueSet.Lookup(fn.Pkg(), fn.Name()) == nil
		}
		e := &Entity{Path: map[string]string{"callable": name + "." + fn.Name(), "instance_required": "true"}, Kind: "method",
			Name: name + "." + fn.Name(), IdlName: fn.Name(), Instance: true, Doc: p.doc(fn), Obj: fn, Owner: named, Tags: map[string]string{}}
		if ptrRecv {
			e.Tags["receiver_pointer"] = "true"
		}
		e.Params = []Param{{"this_instance", recv}}
		if m.signatureEntity(e, sig) {
			c.Methods = append(c.Methods, e)
		}
	}
	if isStruct {
		ptr := types.NewPointer(named)
		for _, f := range structFields(named.Underlying().(*types.Struct)) {
			if !p.accessible(f.Type()) {
				m.Skipped = append(m.Skipped, fmt.Sprintf("%s.%s: the type %s cannot be named outside its package", name, f.Name(), f.Type()))
				continue
			}
			fp := &FieldPair{Name: f.Name(), Type: f.Type(), Doc: p.doc(f)}
			path := name + "." + f.Name()
			fp.Getter = &Entity{Path: map[string]string{"field": path, "getter": "true", "instance_required": "true"}, Kind: "field_get", Name: path, IdlName: "Get" + f.Name(),
				Params: []Param{{"this_instance", ptr}}, Results: []Param{{f.Name(), f.Type()}}, Instance: true, Obj: f, Owner: named, Doc: fp.Doc, Tags: map[string]string{}}
			fp.Setter = &Entity{Path: map[string]string{"field": path, "setter": "true", "instance_required": "true"}, Kind: "field_set", Name: path, IdlName: "Set" + f.Name(),
				Params: []Param{{"this_instance", ptr}, {f.Name(), f.Type()}}, Instance: true, Obj: f, Owner: named, Doc: fp.Doc, Tags: map[string]string{}}
			c.Fields = append(c.Fields, fp)
		}
		c.Ctors = append(c.Ctors, &Entity{Path: map[string]string{"callable": "new(" + name + ")"}, Kind: "new", Name: "new(" + name + ")", IdlName: name,
			Results: []Param{{"ret", ptr}}, Owner: named, Doc: "A new zero value of " + name + ".", Tags: map[string]string{"zero_value": "true"}})
	}
	if len(c.Methods) == 0 && len(c.Fields) == 0 && !isStruct && !c.Interface {
		return nil
	}
	return c
}

// structFields lists the exported fields of a struct, including those promoted from
// embedded structs (the shallowest wins; ambiguous names are left out, as in Go).
func structFields(st *types.Struct) []*types.Var {
	type found struct {
		v     *types.Var
		depth int
		count int
	}
	byName := map[string]*found{}
	var order []string
	var walk func(st *types.Struct, depth int, visited map[*types.Struct]bool)
	walk = func(st *types.Struct, depth int, visited map[*types.Struct]bool) {
		if visited[st] {
			return
		}
		visited[st] = true
		for i := 0; i < st.NumFields(); i++ {
			f := st.Field(i)
			if f.Exported() {
				if old, ok := byName[f.Name()]; !ok {
					byName[f.Name()] = &found{f, depth, 1}
					order = append(order, f.Name())
				} else if old.depth == depth {
					old.count++
				}
			}
		}
		for i := 0; i < st.NumFields(); i++ {
			f := st.Field(i)
			if !f.Embedded() {
				continue
			}
			t := f.Type()
			if ptr, ok := t.(*types.Pointer); ok {
				t = ptr.Elem()
			}
			if inner, ok := t.Underlying().(*types.Struct); ok {
				walk(inner, depth+1, visited)
			}
		}
	}
	walk(st, 0, map[*types.Struct]bool{})
	var out []*types.Var
	for _, n := range order {
		if f := byName[n]; f.count == 1 {
			out = append(out, f.v)
		}
	}
	return out
}

func warnSkipped(m *Model) {
	for _, s := range m.Skipped {
		fmt.Fprintf(os.Stderr, "metaffi: note: left out %s\n", s)
	}
}
