package main

import (
	"bytes"
	"fmt"
	"go/format"
	"go/types"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The generator writes metaffi_entities.go: one Go function per entity, registered under
// its entity path, converting CDTs with typed fast paths for numbers, strings, numeric
// slices and handles, and through reflection for everything else.

type gen struct {
	m       *Model
	buf     bytes.Buffer
	userPkg string            // qualifier of the user's package ("" when it is embedded)
	imports map[string]string // path -> alias
	rtypes  map[string]string // type expression -> reflect.Type variable
	rorder  []string
	// func types of parameters that get a typed adapter (no reflection per callback call)
	adapters map[string]*types.Signature
	aorder   []string
}

func (g *gen) qual(pkg *types.Package) string {
	if pkg == g.m.Pkg.Types {
		return g.userPkg
	}
	alias, ok := g.imports[pkg.Path()]
	if !ok {
		alias = fmt.Sprintf("mffi_p%d", len(g.imports))
		g.imports[pkg.Path()] = alias
	}
	return alias
}

func (g *gen) typ(t types.Type) string {
	return types.TypeString(t, func(p *types.Package) string { return g.qual(p) })
}

func (g *gen) rtype(t types.Type) string {
	s := g.typ(t)
	v, ok := g.rtypes[s]
	if !ok {
		v = fmt.Sprintf("mffiT%d", len(g.rtypes))
		g.rtypes[s] = v
		g.rorder = append(g.rorder, s)
	}
	return v
}

func (g *gen) ref(obj types.Object) string {
	if q := g.qual(obj.Pkg()); q != "" {
		return q + "." + obj.Name()
	}
	return obj.Name()
}

func (g *gen) p(format string, args ...any) {
	fmt.Fprintf(&g.buf, format, args...)
	g.buf.WriteByte('\n')
}

var intRanges = map[types.BasicKind][3]string{
	types.Int:   {"-9223372036854775808", "9223372036854775807", "int"},
	types.Int64: {"-9223372036854775808", "9223372036854775807", "int64"},
	types.Int32: {"-2147483648", "2147483647", "int32"},
	types.Int16: {"-32768", "32767", "int16"},
	types.Int8:  {"-128", "127", "int8"},
}

var uintMax = map[types.BasicKind][2]string{
	types.Uint:    {"18446744073709551615", "uint"},
	types.Uint64:  {"18446744073709551615", "uint64"},
	types.Uintptr: {"18446744073709551615", "uintptr"},
	types.Uint32:  {"4294967295", "uint32"},
	types.Uint16:  {"65535", "uint16"},
	types.Uint8:   {"255", "uint8"},
}

// basicType is how values of a Go basic type cross: as goType (int as int64, uint and
// uintptr as uint64), written as a result by the frame method ret, declared as MetaFFI type idl.
type basicType struct{ goType, ret, idl string }

var basicTypes = map[types.BasicKind]basicType{
	types.Bool:    {"bool", "retBool", "bool"},
	types.Int:     {"int64", "retI64", "int64"},
	types.Int64:   {"int64", "retI64", "int64"},
	types.Int32:   {"int32", "retI32", "int32"},
	types.Int16:   {"int16", "retI16", "int16"},
	types.Int8:    {"int8", "retI8", "int8"},
	types.Uint:    {"uint64", "retU64", "uint64"},
	types.Uint64:  {"uint64", "retU64", "uint64"},
	types.Uintptr: {"uint64", "retU64", "uint64"},
	types.Uint32:  {"uint32", "retU32", "uint32"},
	types.Uint16:  {"uint16", "retU16", "uint16"},
	types.Uint8:   {"uint8", "retU8", "uint8"},
	types.Float64: {"float64", "retF64", "float64"},
	types.Float32: {"float32", "retF32", "float32"},
	types.String:  {"string", "retString", "string8"},
}

var packedCode = map[types.BasicKind]string{
	types.Int: "mffiI64", types.Int64: "mffiI64", types.Int32: "mffiI32", types.Int16: "mffiI16", types.Int8: "mffiI8",
	types.Uint: "mffiU64", types.Uint64: "mffiU64", types.Uintptr: "mffiU64", types.Uint32: "mffiU32", types.Uint16: "mffiU16",
	types.Uint8: "mffiU8", types.Float64: "mffiF64", types.Float32: "mffiF32",
}

func basicOf(t types.Type) (*types.Basic, bool) {
	b, ok := t.Underlying().(*types.Basic)
	return b, ok
}

// argExpr is the expression that reads parameter i as Go type t.
func (g *gen) argExpr(i int, t types.Type) string {
	ts := g.typ(t)
	if b, ok := basicOf(t); ok {
		k := b.Kind()
		switch {
		case k == types.Bool:
			return fmt.Sprintf("%s(f.argBool(%d))", ts, i)
		case intRanges[k][0] != "":
			r := intRanges[k]
			return fmt.Sprintf("%s(f.argInt(%d, %s, %s, %q))", ts, i, r[0], r[1], r[2])
		case uintMax[k][0] != "":
			r := uintMax[k]
			return fmt.Sprintf("%s(f.argUint(%d, %s, %q))", ts, i, r[0], r[1])
		case k == types.Float64 || k == types.Float32:
			return fmt.Sprintf("%s(f.argFloat(%d))", ts, i)
		case k == types.String:
			return fmt.Sprintf("%s(f.argString(%d))", ts, i)
		}
	}
	if s, ok := t.Underlying().(*types.Slice); ok {
		if b, ok := basicOf(s.Elem()); ok && packedCode[b.Kind()] != "" {
			return fmt.Sprintf("%s(mffiArgNums[%s](f, %d, %s))", ts, g.typ(s.Elem()), i, packedCode[b.Kind()])
		}
	}
	switch t.Underlying().(type) {
	case *types.Pointer, *types.Struct, *types.Interface, *types.Chan, *types.Map:
		return fmt.Sprintf("mffiArgRef[%s](f, %d)", ts, i)
	}
	return fmt.Sprintf("f.arg(%d, %s).Interface().(%s)", i, g.rtype(t), ts)
}

// retStmt writes result i (the Go expression x of type t).
func (g *gen) retStmt(i int, t types.Type, x string) string {
	if b, ok := basicOf(t); ok {
		if bt, ok := basicTypes[b.Kind()]; ok {
			// declared handle: the Go value itself (a named type such as `type Color int`
			// comes back as the same Color when the handle is passed back)
			return fmt.Sprintf("if v := %s; f.declHandle(%d) { f.retHandle(%d, &v) } else { f.%s(%d, %s(v)) }", x, i, i, bt.ret, i, bt.goType)
		}
	}
	if s, ok := t.Underlying().(*types.Slice); ok {
		if b, ok := basicOf(s.Elem()); ok && packedCode[b.Kind()] != "" {
			return fmt.Sprintf("mffiRetNums(f, %d, []%s(%s), %s)", i, g.typ(s.Elem()), x, packedCode[b.Kind()])
		}
	}
	switch t.Underlying().(type) {
	case *types.Pointer:
		return fmt.Sprintf("if %s == nil { f.retNull(%d) } else { f.retHandle(%d, %s) }", x, i, i, x)
	case *types.Struct:
		return fmt.Sprintf("{ v := %s; f.retHandle(%d, &v) }", x, i)
	}
	return fmt.Sprintf("{ v := %s; f.ret(%d, mffi_reflect.ValueOf(&v).Elem()) }", x, i)
}

func (g *gen) sig(e *Entity) string {
	var ps, rs []string
	for i, p := range e.Params {
		s := p.Name + " " + types.TypeString(p.Type, g.m.qualifier())
		if e.Variadic && i == len(e.Params)-1 {
			s = p.Name + " ..." + types.TypeString(p.Type.(*types.Slice).Elem(), g.m.qualifier())
		}
		ps = append(ps, s)
	}
	for _, r := range e.Results {
		rs = append(rs, types.TypeString(r.Type, g.m.qualifier()))
	}
	if e.HasErr {
		rs = append(rs, "error")
	}
	return sigText(ps, rs)
}

// sigText is the text of a Go signature from its parameter and result types.
func sigText(params, results []string) string {
	out := "(" + strings.Join(params, ", ") + ")"
	if len(results) == 1 {
		out += " " + results[0]
	} else if len(results) > 1 {
		out += " (" + strings.Join(results, ", ") + ")"
	}
	return out
}

func (g *gen) entity(e *Entity) {
	key := ""
	for _, k := range []string{"callable", "global", "field"} {
		if v, ok := e.Path[k]; ok {
			key = k + "=" + v
		}
	}
	if e.Path["getter"] != "" {
		key += ",getter"
	}
	if e.Path["setter"] != "" {
		key += ",setter"
	}
	var params, rets []string
	for _, p := range e.Params {
		params = append(params, g.rtype(p.Type))
		if sig, ok := p.Type.Underlying().(*types.Signature); ok && adaptable(sig) {
			ts := g.typ(p.Type)
			if _, seen := g.adapters[ts]; !seen {
				g.adapters[ts] = sig
				g.aorder = append(g.aorder, ts)
			}
		}
	}
	for _, r := range e.Results {
		rets = append(rets, g.rtype(r.Type))
	}
	g.p("\tmffiRegister(%q, &mffiEntity{name: %q, sig: %q, instance: %v, isConst: %v,", key, e.Name, g.sig(e), e.Instance, e.IsConst)
	g.p("\t\tparams: []mffi_reflect.Type{%s}, rets: []mffi_reflect.Type{%s},", strings.Join(params, ", "), strings.Join(rets, ", "))
	g.p("\t\tfn: func(f *mffiFrame) {")
	var args []string
	for i, p := range e.Params {
		g.p("\t\t\ta%d := %s", i, g.argExpr(i, p.Type))
		args = append(args, fmt.Sprintf("a%d", i))
	}
	if len(e.Params) > 0 {
		g.p("\t\t\tif f.err != nil { return }")
	}
	var results []string
	for i := range e.Results {
		results = append(results, fmt.Sprintf("r%d", i))
	}
	if e.HasErr {
		results = append(results, "err")
	}
	assign := ""
	if len(results) > 0 {
		assign = strings.Join(results, ", ") + " := "
	}
	nilCheck := func() {
		g.p("\t\t\tif a0 == nil { f.err = &mffiTypeError{%q}; return }", e.Name+": the object (argument 1) is null")
	}
	switch e.Kind {
	case "func":
		call := g.ref(e.Obj) + "(" + strings.Join(args, ", ")
		if e.Variadic {
			call += "..."
		}
		g.p("\t\t\t%s%s)", assign, call)
	case "method":
		call := "a0." + e.Obj.Name() + "(" + strings.Join(args[1:], ", ")
		if e.Variadic {
			call += "..."
		}
		g.p("\t\t\t%s%s)", assign, call)
	case "new":
		g.p("\t\t\tr0 := new(%s)", g.typ(e.Owner))
	case "field_get":
		nilCheck()
		g.p("\t\t\tr0 := a0.%s", e.Obj.Name())
	case "field_set":
		nilCheck()
		g.p("\t\t\ta0.%s = a1", e.Obj.Name())
	case "global_get":
		if e.IsConst {
			g.p("\t\t\tr0 := %s(%s)", g.typ(e.Results[0].Type), g.ref(e.Obj))
		} else {
			g.p("\t\t\tr0 := %s", g.ref(e.Obj))
		}
	case "global_set":
		g.p("\t\t\t%s = a0", g.ref(e.Obj))
	}
	if e.HasErr {
		g.p("\t\t\tif err != nil { f.err = err; return }")
	}
	for i, r := range e.Results {
		g.p("\t\t\t%s", g.retStmt(i, r.Type, fmt.Sprintf("r%d", i)))
	}
	g.p("\t\t}})")
}

// adaptable: a func type whose parameters and results are numbers, bools and strings (and
// maybe a trailing error).
func adaptable(sig *types.Signature) bool {
	if sig.Variadic() {
		return false
	}
	ok := func(t types.Type) bool {
		b, isBasic := t.Underlying().(*types.Basic)
		if !isBasic {
			return false
		}
		k := b.Kind()
		return k == types.Bool || k == types.String || k == types.Float32 || k == types.Float64 ||
			intRanges[k][0] != "" || uintMax[k][0] != ""
	}
	for i := 0; i < sig.Params().Len(); i++ {
		if !ok(sig.Params().At(i).Type()) {
			return false
		}
	}
	n := sig.Results().Len()
	if n > 0 && isError(sig.Results().At(n-1).Type()) {
		n--
	}
	for i := 0; i < n; i++ {
		if !ok(sig.Results().At(i).Type()) {
			return false
		}
	}
	return true
}

func (g *gen) adapter(ts string, sig *types.Signature) {
	var params, results, zeros, putLines, resLines, resNames []string
	for i := 0; i < sig.Params().Len(); i++ {
		t := sig.Params().At(i).Type()
		params = append(params, fmt.Sprintf("p%d %s", i, g.typ(t)))
		b := t.Underlying().(*types.Basic)
		k := b.Kind()
		switch {
		case k == types.Bool:
			putLines = append(putLines, fmt.Sprintf("c.putBool(%d, bool(p%d))", i, i))
		case k == types.String:
			putLines = append(putLines, fmt.Sprintf("c.putString(%d, string(p%d))", i, i))
		case k == types.Float32 || k == types.Float64:
			putLines = append(putLines, fmt.Sprintf("c.putFloat(%d, float64(p%d))", i, i))
		case intRanges[k][0] != "":
			putLines = append(putLines, fmt.Sprintf("c.putInt(%d, int64(p%d))", i, i))
		default:
			putLines = append(putLines, fmt.Sprintf("c.putUint(%d, uint64(p%d))", i, i))
		}
	}
	n := sig.Results().Len()
	hasErr := n > 0 && isError(sig.Results().At(n-1).Type())
	if hasErr {
		n--
	}
	for i := 0; i < n; i++ {
		t := sig.Results().At(i).Type()
		tt := g.typ(t)
		results = append(results, tt)
		zeros = append(zeros, fmt.Sprintf("*new(%s)", tt))
		resNames = append(resNames, fmt.Sprintf("r%d", i))
		k := t.Underlying().(*types.Basic).Kind()
		var expr string
		switch {
		case k == types.Bool:
			expr = fmt.Sprintf("c.resBool(%d)", i)
		case k == types.String:
			expr = fmt.Sprintf("c.resString(%d)", i)
		case k == types.Float32 || k == types.Float64:
			expr = fmt.Sprintf("c.resFloat(%d)", i)
		case intRanges[k][0] != "":
			r := intRanges[k]
			expr = fmt.Sprintf("c.resInt(%d, %s, %s, %q)", i, r[0], r[1], r[2])
		default:
			r := uintMax[k]
			expr = fmt.Sprintf("c.resUint(%d, %s, %q)", i, r[0], r[1])
		}
		resLines = append(resLines, fmt.Sprintf("r%d := %s(%s)", i, tt, expr))
	}
	if hasErr {
		results = append(results, "error")
	}
	g.p("\tmffiRegisterAdapter(%s, func(fo *MetaFFIForeignObject) mffi_reflect.Value {", g.rtype(sig))
	g.p("\t\treturn mffi_reflect.ValueOf((%s)(func%s {", ts, sigText(params, results))
	g.p("\t\t\tvar c mffiCB")
	g.p("\t\t\tc.begin(fo, %q, %d)", ts, sig.Params().Len())
	for _, l := range putLines {
		g.p("\t\t\t%s", l)
	}
	g.p("\t\t\tc.call(%d)", n)
	for _, l := range resLines {
		g.p("\t\t\t%s", l)
	}
	g.p("\t\t\tif err := c.end(); err != nil {")
	if hasErr {
		g.p("\t\t\t\treturn %s", strings.Join(append(zeros, "err"), ", "))
	} else {
		g.p("\t\t\t\tmffiCallbackFailed(%q, err)", ts)
		if n > 0 {
			g.p("\t\t\t\treturn %s", strings.Join(zeros, ", "))
		} else {
			g.p("\t\t\t\treturn")
		}
	}
	g.p("\t\t\t}")
	if hasErr {
		resNames = append(resNames, "nil")
	}
	if len(resNames) > 0 {
		g.p("\t\t\treturn %s", strings.Join(resNames, ", "))
	}
	g.p("\t\t}))")
	g.p("\t})")
}

func (m *Model) entities() []*Entity {
	var all []*Entity
	all = append(all, m.Functions...)
	for _, c := range m.Classes {
		for _, k := range c.Ctors {
			if k.Kind == "new" {
				all = append(all, k)
			}
		}
		all = append(all, c.Methods...)
		for _, f := range c.Fields {
			all = append(all, f.Getter, f.Setter)
		}
	}
	for _, gl := range m.Globals {
		all = append(all, gl.Getter)
		if gl.Setter != nil {
			all = append(all, gl.Setter)
		}
	}
	return all
}

func generate(m *Model) ([]byte, error) {
	g := &gen{m: m, imports: map[string]string{}, rtypes: map[string]string{}, adapters: map[string]*types.Signature{}}
	if !m.Pkg.Main {
		g.userPkg = "mffi_user"
		g.imports[m.Pkg.Types.Path()] = "mffi_user"
	}
	body := &g.buf
	g.p("func init() {")
	for _, e := range m.entities() {
		g.entity(e)
	}
	for _, ts := range g.aorder {
		g.adapter(ts, g.adapters[ts])
	}
	g.p("}")
	entitiesCode := body.String()
	body.Reset()
	g.p("// Code generated by metaffi -c -g go from %s; DO NOT EDIT.", filepath.Base(m.Pkg.Source))
	g.p("//")
	g.p("// The entities of the Go guest, registered by entity path for the go runtime plugin.")
	g.p("")
	g.p("package main")
	g.p("")
	g.p("import (")
	g.p("\tmffi_reflect \"reflect\"")
	var paths []string
	for path := range g.imports {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		g.p("\t%s %q", g.imports[path], path)
	}
	g.p(")")
	g.p("")
	g.p("var _ = mffi_reflect.TypeOf")
	g.p("")
	for _, s := range g.rorder {
		g.p("var %s = mffi_reflect.TypeOf((*%s)(nil)).Elem()", g.rtypes[s], s)
	}
	g.p("")
	body.WriteString(entitiesCode)
	hasMain := false
	if m.Pkg.Main {
		if f, ok := m.Pkg.Types.Scope().Lookup("main").(*types.Func); ok && f != nil {
			hasMain = true
		}
	}
	if !hasMain {
		g.p("")
		g.p("// A c-shared library needs a main function; it is never run.")
		g.p("func main() {}")
	}
	src := body.Bytes()
	formatted, err := format.Source(src)
	if err != nil {
		return src, fmt.Errorf("internal error: the generated code does not parse: %v", err)
	}
	return formatted, nil
}

// prepareBuild fills buildDir with a module that builds the guest: go.mod (requiring the
// user's module through a replace directive), the user's files for package main, the
// runtime, metaffi.h and the generated entities.
func prepareBuild(p *Pkg, m *Model, buildDir, runtimeDir, header string) error {
	if err := os.MkdirAll(buildDir, 0o755); err != nil {
		return err
	}
	// The build module speaks the Go version the user's module declares (so package main
	// files keep their meaning), but at least go 1.18: the guest runtime uses generics.
	goVersion := p.GoVersion
	if goVersion == "" {
		goVersion = "1.21"
	} else if goVersionLess(goVersion, "1.18") {
		goVersion = "1.18"
	}
	mod := fmt.Sprintf("module metaffi_guest\n\ngo %s\n", goVersion)
	if p.ModRoot != "" {
		mod += fmt.Sprintf("\nrequire %s v0.0.0-00010101000000-000000000000\n\nreplace %s => %s\n", p.ModPath, p.ModPath, p.ModRoot)
		if data, err := os.ReadFile(filepath.Join(p.ModRoot, "go.sum")); err == nil {
			if err := os.WriteFile(filepath.Join(buildDir, "go.sum"), data, 0o644); err != nil {
				return err
			}
		}
	}
	if err := os.WriteFile(filepath.Join(buildDir, "go.mod"), []byte(mod), 0o644); err != nil {
		return err
	}
	if p.Main || p.ModRoot == "" {
		dest := buildDir
		if !p.Main {
			// A library package outside any module: it becomes a package of the build module.
			dest = filepath.Join(buildDir, "userpkg")
			if err := os.MkdirAll(dest, 0o755); err != nil {
				return err
			}
		}
		for _, f := range p.Files {
			data, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dest, filepath.Base(f)), data, 0o644); err != nil {
				return err
			}
		}
	}
	copyFile := func(from, to string) error {
		data, err := os.ReadFile(from)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, 0o644)
	}
	runtimeFiles, err := filepath.Glob(filepath.Join(runtimeDir, "*.go"))
	if err != nil {
		return err
	}
	if len(runtimeFiles) == 0 {
		return fmt.Errorf("no Go guest runtime in %s", runtimeDir)
	}
	headers, _ := filepath.Glob(filepath.Join(runtimeDir, "*.h"))
	for _, f := range append(runtimeFiles, headers...) { // the guest runtime: every file of its folder
		if err := copyFile(f, filepath.Join(buildDir, filepath.Base(f))); err != nil {
			return err
		}
	}
	for _, name := range []string{"metaffi.h", "metaffi_types.h"} { // metaffi.h includes its sibling
		if err := copyFile(filepath.Join(filepath.Dir(header), name), filepath.Join(buildDir, name)); err != nil {
			return err
		}
	}
	code, err := generate(m)
	if werr := os.WriteFile(filepath.Join(buildDir, "metaffi_entities.go"), code, 0o644); werr != nil {
		return werr
	}
	return err
}

// goVersionLess compares Go versions of a go directive ("1.18", "1.21.3").
func goVersionLess(a, b string) bool {
	num := func(s string) []int {
		var out []int
		for _, part := range strings.Split(s, ".") {
			n := 0
			for _, c := range part {
				if c < '0' || c > '9' {
					break
				}
				n = n*10 + int(c-'0')
			}
			out = append(out, n)
		}
		return out
	}
	x, y := num(a), num(b)
	for i := 0; i < len(x) || i < len(y); i++ {
		var u, v int
		if i < len(x) {
			u = x[i]
		}
		if i < len(y) {
			v = y[i]
		}
		if u != v {
			return u < v
		}
	}
	return false
}
