/**
 * MetaFFI's IDL, as JSON: what a foreign module exposes. The same schema MetaFFI's own
 * tools read and write (see ../shared/fixtures/metaffi-go-guest.idl.json for a real one).
 * Extractors (Python, Java, Go) produce it; compilers (Go guest, TypeScript host) read it.
 */

/** A parameter, return value, field or global: its MetaFFI type and foreign type name. */
export interface IdlArg {
  name: string;
  /** MetaFFI base type name: 'int64', 'string8', 'handle', 'any', 'callable', ... Array
   * types are either the base name with dimensions > 0 or '<base>_array'. */
  type: string;
  /** The foreign type as written in the source ('int', '[]string', 'java.util.List'). */
  type_alias: string;
  comment: string;
  tags: Record<string, string>;
  dimensions: number;
  is_optional: boolean;
}

/** Entity-path items: keys with values; tags appear with the value "true". MetaFFI tools
 * also write 'module' and 'package', which are not part of an entity path here. */
export type IdlEntityPath = Record<string, string>;

export interface IdlFunction {
  name: string;
  comment: string;
  tags: Record<string, string>;
  entity_path: IdlEntityPath;
  parameters: IdlArg[];
  return_values: IdlArg[];
  overload_index: number;
  /** Methods, field accessors and releasers: the first parameter is the object. */
  instance_required?: boolean;
}

/** A field or global: the value's type plus its accessors. */
export interface IdlField extends IdlArg {
  getter: IdlFunction | null;
  setter: IdlFunction | null;
}

export interface IdlClass {
  name: string;
  comment: string;
  tags: Record<string, string>;
  entity_path: IdlEntityPath | null;
  constructors: IdlFunction[];
  release: IdlFunction | null;
  methods: IdlFunction[];
  fields: IdlField[];
}

export interface IdlModule {
  name: string;
  comment: string;
  tags: Record<string, string>;
  functions: IdlFunction[];
  classes: IdlClass[];
  globals: IdlField[];
  external_resources: string[];
}

export interface IdlDefinition {
  idl_source: string;
  idl_extension: string;
  idl_filename_with_extension: string;
  idl_full_path: string;
  /** The guest library name (without extension), e.g. 'hello_MetaFFIGuest'. */
  metaffi_guest_lib: string;
  /** The runtime the module runs in: 'python3', 'openjdk', 'go'. */
  target_language: string;
  modules: IdlModule[];
}
