import type { EntityPathRules } from '../entity_path.js';
import type { NativeCore, PathItem } from '../native.js';

/** What the API layer needs to know about one runtime plugin. */
export interface RuntimeAdapter {
  /** The runtime id shared with the native core (native/metaffi.h). */
  readonly id: number;
  /** The canonical name: 'python3', 'openjdk', 'go'. */
  readonly name: string;
  /** Other names accepted by `new MetaFFIRuntime(name)`. */
  readonly aliases: readonly string[];
  readonly entityPath: EntityPathRules;
  /** Find the runtime on this machine, build its plugin if needed, and load it. */
  start(core: NativeCore): void;
  /** A short name of the entity for error messages ("multiply", "java.util.List.size"). */
  entityName(items: PathItem[]): string;
  /** Check a module path and turn it into what the plugin expects. */
  modulePath(path: string): string;
}
