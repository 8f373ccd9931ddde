/**
 * The sandbox side of preparing a plugin generation: install the `import.meta.hot` runtime, import
 * the entry, call `activate`, list the files loaded. One function over the `Sandbox` interface, so
 * that `worker` and `process` isolation run it inside the worker in one request (the host would
 * otherwise wait on four round trips per reload: import of the runtime, install, import of the
 * entry, files), and `context` isolation runs the very same steps in place.
 */
import { ReflectGetOwnPropertyDescriptor } from '../commons.js';
import {
  EsmSandboxError,
  LinkError,
  LoadError,
  ModuleNotAllowedError,
  PluginError,
  PolicyError,
  ResolveError,
  SandboxSyntaxError,
} from '../errors/errors.js';
import type { ModuleNamespace, Sandbox } from '../types.js';
import { HOT_SPECIFIER, type HotControl } from './hot.js';
import type { PreparePhase } from './types.js';

/** What preparing needs to hand the sandbox. */
export interface PluginLoad {
  id: string;
  entry: string;
  generation: number;
  /** Install the hot runtime (allow-listed under HOT_SPECIFIER) with these before the entry is imported. */
  hot?: {
    data: Readonly<Record<string, unknown>>;
    invalidate: (url: string, message: string) => void;
    firstUse: () => void;
  };
}

export type PluginLoaded =
  | { ok: true; namespace: ModuleNamespace; control: HotControl | undefined; files: string[] }
  | { ok: false; phase: PreparePhase; error: EsmSandboxError; files: string[] };

type Callable = (...args: unknown[]) => Promise<unknown>;

/** Never rejects: a failure comes back with its phase (a worker reply carries it as data). */
export async function loadPlugin(sandbox: Sandbox, load: PluginLoad): Promise<PluginLoaded> {
  const { id } = load;
  const failed = async (phase: PreparePhase, error: unknown): Promise<PluginLoaded> => ({
    ok: false,
    phase,
    error: asSandboxError(error, id),
    files: await sandbox.files().catch(() => [] as string[]),
  });
  let control: HotControl | undefined;
  let namespace: ModuleNamespace;
  try {
    if (load.hot !== undefined) {
      control = (await sandbox.import(HOT_SPECIFIER)) as unknown as HotControl;
      await control.install(load.hot.data, load.hot.invalidate, load.hot.firstUse);
    }
    namespace = await sandbox.import(load.entry);
  } catch (error) {
    return failed(phaseOf(error), error);
  }
  const activate = own(namespace, 'activate');
  if (activate !== undefined) {
    try {
      if (typeof activate !== 'function') throw new PluginError(`plugin "${id}": its "activate" export is not a function`, id);
      await (activate as Callable)({ id, generation: load.generation });
    } catch (error) {
      return failed('activate', error);
    }
  }
  return { ok: true, namespace, control, files: await sandbox.files().catch(() => [] as string[]) };
}

export function own(namespace: ModuleNamespace, name: string): unknown {
  return ReflectGetOwnPropertyDescriptor(namespace, name)?.value;
}

/** The phase a load failure belongs to, from the error's class. */
function phaseOf(error: unknown): PreparePhase {
  if (error instanceof SandboxSyntaxError) return 'syntax';
  if (error instanceof PolicyError || error instanceof ModuleNotAllowedError) return 'policy';
  if (error instanceof ResolveError || error instanceof LoadError) return 'read';
  if (error instanceof LinkError) return 'link';
  return 'evaluate';
}

export function asSandboxError(error: unknown, id: string): EsmSandboxError {
  if (error instanceof EsmSandboxError) return error;
  return new PluginError(`plugin "${id}": ${error instanceof Error ? error.message : 'failed'}`, id, { cause: error });
}
