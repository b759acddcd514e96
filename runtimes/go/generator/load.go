package main

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Pkg is a Go package read with the Go toolchain's parser and type checker.
type Pkg struct {
	Source     string   // what the user named: a .go file or a package folder (absolute)
	Dir        string   // the package folder
	Files      []string // the files read (absolute)
	Name       string   // the package clause
	Main       bool     // package main: the guest embeds its files
	ModRoot    string   // the folder holding go.mod, "" outside a module
	ModPath    string   // the module path
	GoVersion  string   // the module's go directive
	ImportPath string   // the import path of a library package
	Fset       *token.FileSet
	AST        []*ast.File
	Types      *types.Package
	docs       map[token.Pos]string
}

func loadPackage(source string) (*Pkg, error) {
	abs, err := filepath.Abs(source)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("%s does not exist", source)
	}
	p := &Pkg{Source: abs, Fset: token.NewFileSet(), docs: map[token.Pos]string{}}
	if st.IsDir() {
		p.Dir = abs
		entries, err := os.ReadDir(abs)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
				continue
			}
			if ok, err := build.Default.MatchFile(abs, n); err != nil || !ok {
				continue
			}
			p.Files = append(p.Files, filepath.Join(abs, n))
		}
		if len(p.Files) == 0 {
			return nil, fmt.Errorf("%s holds no Go files", source)
		}
	} else {
		if !strings.HasSuffix(abs, ".go") {
			return nil, fmt.Errorf("%s is not a .go file", source)
		}
		p.Dir = filepath.Dir(abs)
		p.Files = []string{abs}
	}
	sort.Strings(p.Files)
	for _, f := range p.Files {
		file, err := parser.ParseFile(p.Fset, f, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		if p.Name == "" {
			p.Name = file.Name.Name
		} else if p.Name != file.Name.Name {
			return nil, fmt.Errorf("%s: package %s, but %s is package %s", f, file.Name.Name, p.Files[0], p.Name)
		}
		p.AST = append(p.AST, file)
	}
	p.Main = p.Name == "main"
	p.findModule()
	if err := p.typeCheck(); err != nil {
		return nil, err
	}
	p.collectDocs()
	return p, nil
}

func (p *Pkg) findModule() {
	for dir := p.Dir; ; {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			p.ModRoot = dir
			sc := bufio.NewScanner(bytes.NewReader(data))
			for sc.Scan() {
				line := strings.TrimSpace(sc.Text())
				if strings.HasPrefix(line, "module ") {
					p.ModPath = strings.Trim(strings.TrimSpace(strings.TrimPrefix(line, "module ")), `"`)
				} else if strings.HasPrefix(line, "go ") {
					p.GoVersion = strings.TrimSpace(strings.TrimPrefix(line, "go "))
				}
			}
			rel, _ := filepath.Rel(dir, p.Dir)
			p.ImportPath = p.ModPath
			if rel != "." {
				p.ImportPath += "/" + filepath.ToSlash(rel)
			}
			return
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return
		}
		dir = parent
	}
}

// typeCheck asks `go list` for the compiled export data of every import (building and, for
// third-party modules listed in go.mod, downloading them as needed), then type-checks the
// package's files against it.
func (p *Pkg) typeCheck() error {
	imports := map[string]bool{}
	for _, f := range p.AST {
		for _, im := range f.Imports {
			path := strings.Trim(im.Path.Value, `"`)
			if path != "C" && path != "unsafe" {
				imports[path] = true
			}
		}
	}
	exports := map[string]string{}
	if len(imports) > 0 {
		args := []string{"list", "-e", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}\t{{if .Error}}{{.Error.Err}}{{end}}"}
		for path := range imports {
			args = append(args, path)
		}
		cmd := exec.Command("go", args...)
		cmd.Dir = p.Dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("go list failed for the imports of %s:\n%s", p.Source, strings.TrimSpace(stderr.String()))
		}
		var problems []string
		for _, line := range strings.Split(string(out), "\n") {
			parts := strings.SplitN(line, "\t", 3)
			if len(parts) < 3 {
				continue
			}
			if parts[2] != "" && imports[parts[0]] {
				problems = append(problems, parts[0]+": "+parts[2])
			}
			if parts[1] != "" {
				exports[parts[0]] = parts[1]
			}
		}
		if len(problems) > 0 {
			return fmt.Errorf("cannot import the packages %s needs:\n  %s", p.Source, strings.Join(problems, "\n  "))
		}
	}
	lookup := func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(file)
	}
	var errs []string
	conf := types.Config{
		Importer: importer.ForCompiler(p.Fset, "gc", lookup),
		Error: func(err error) {
			if len(errs) < 20 {
				errs = append(errs, err.Error())
			}
		},
	}
	path := p.ImportPath
	if p.Main {
		path = "main"
	} else if path == "" {
		path = "metaffi_guest/userpkg" // where the build puts a package that has no module
	}
	files := p.AST
	if p.Main {
		// The guest runtime, compiled into the same package main, offers these to the
		// package's code; they are declared here for the type check only.
		stub, err := parser.ParseFile(p.Fset, runtimeStubFile, runtimeStub, 0)
		if err != nil {
			return err
		}
		files = append(append([]*ast.File{}, files...), stub)
	}
	pkg, _ := conf.Check(path, p.Fset, files, nil)
	if len(errs) > 0 {
		return fmt.Errorf("%s does not compile:\n  %s", p.Source, strings.Join(errs, "\n  "))
	}
	p.Types = pkg
	return nil
}

// runtimeStub declares what the guest runtime (go/guest/metaffi_runtime.go) offers the Go
// code of a package main guest.
const runtimeStubFile = "metaffi_runtime_offers.go"
const runtimeStub = `package main

func MetaFFIGo(fn func()) {}
func MetaFFIRecover()     {}
`

// fromRuntime: obj is declared by the guest runtime, not by the user's package.
func (p *Pkg) fromRuntime(obj types.Object) bool {
	return p.Main && p.Fset.Position(obj.Pos()).Filename == runtimeStubFile
}

// collectDocs maps declaration positions to their doc comments.
func (p *Pkg) collectDocs() {
	text := func(g *ast.CommentGroup) string {
		if g == nil {
			return ""
		}
		return strings.TrimSpace(g.Text())
	}
	for _, f := range p.AST {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				p.docs[d.Name.Pos()] = text(d.Doc)
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						doc := text(s.Doc)
						if doc == "" {
							doc = text(d.Doc)
						}
						p.docs[s.Name.Pos()] = doc
						if st, ok := s.Type.(*ast.StructType); ok {
							for _, fld := range st.Fields.List {
								doc := text(fld.Doc)
								if doc == "" {
									doc = text(fld.Comment)
								}
								for _, n := range fld.Names {
									p.docs[n.Pos()] = doc
								}
							}
						}
						if it, ok := s.Type.(*ast.InterfaceType); ok {
							for _, m := range it.Methods.List {
								for _, n := range m.Names {
									p.docs[n.Pos()] = text(m.Doc)
								}
							}
						}
					case *ast.ValueSpec:
						doc := text(s.Doc)
						if doc == "" {
							doc = text(s.Comment)
						}
						if doc == "" && len(d.Specs) == 1 {
							doc = text(d.Doc)
						}
						for _, n := range s.Names {
							p.docs[n.Pos()] = doc
						}
					}
				}
			}
		}
	}
}

func (p *Pkg) doc(obj types.Object) string { return p.docs[obj.Pos()] }
