import type { EntityPathRules } from '../entity_path.js';
import type { PathItem } from '../native.js';

/** How to start a runtime: libraries to load first (RTLD_GLOBAL), the plugin, its configuration. */
export interface RuntimeLaunch {
  libraries: string[];
  plugin: string;
  config: string;
}

/** What the API layer needs to know about one runtime plugin. */
export interface RuntimeAdapter {
  /** The runtime id shared with the native core (xllr/metaffi.h). */
  readonly id: number;
  /** The canonical name: 'python3', 'openjdk', 'go'. */
  readonly name: string;
  /** Other names accepted by `new MetaFFIRuntime(name)`. */
  readonly aliases: readonly string[];
  readonly entityPath: EntityPathRules;
  /** Find the runtime on this machine and build its plugin if needed: what starting it takes.
   * `host` is the host language; 'python3' when CPython is itself the host. */
  launch(host?: string): RuntimeLaunch;
  /** A short name of the entity for error messages ("multiply", "java.util.List.size"). */
  entityName(items: PathItem[]): string;
  /** Check a module path and turn it into what the plugin expects. */
  modulePath(path: string): string;
}
