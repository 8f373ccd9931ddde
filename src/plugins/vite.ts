/**
 * `esm-sandbox/vite`: a Vite plugin that runs a folder of user plugins in sandboxes through the
 * plugin host, passing Vite's `resolveId`, `load` and `transform` hooks and HTTP requests through
 * to them. Edits reload the user plugins without restarting Vite; a broken edit keeps the last
 * good version and shows its error in the browser overlay.
 *
 * A user plugin is a module (`<dir>/<id>.mjs|.js|.ts|.mts`, or `<dir>/<id>/index.*`) that may export:
 * - `resolveId(source, importer)` → an id string, or null/undefined to pass;
 * - `load(id)` and `transform(code, id)` → code string (or `{ code }`), or null/undefined to pass;
 * - `handle({ method, url, headers })` → `{ status?, headers?, body? }` to answer, or null/undefined to pass.
 * Only data crosses (arguments and results are copied); Vite's plugin context is not available.
 */
import { readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Plugin, ViteDevServer } from 'vite';
import { ReflectGetOwnPropertyDescriptor } from '../commons.js';
import type { EsmSandboxError } from '../errors/errors.js';
import { createPluginHost, type PluginHost } from './host.js';
import type { PluginHostOptions, RolledBackEvent } from './types.js';
import { sharedWatcher, type PluginWatcher, type SharedWatcherSource } from './watcher.js';

export interface SandboxPluginsOptions extends Omit<PluginHostOptions, 'root' | 'plugins' | 'watch'> {
  /** Folder of user plugins (absolute, or relative to Vite's root). */
  dir: string;
  /** Plugin id → entry relative to `dir`; by default every module file and `index.*` folder in `dir`, in name order. */
  plugins?: Readonly<Record<string, string>>;
  /** The dev server's watcher (default) or another; `false` to reload only by `host.reload()`. */
  watch?: boolean | PluginWatcher;
}

/** What `handle` answers with. */
export interface SandboxResponse {
  status?: number;
  headers?: Readonly<Record<string, string>>;
  body?: string;
}

const INDEX = /^index\.(mjs|js|mts|ts)$/;
const MODULE_FILE = /\.(mjs|js|mts|ts)$/;

/** Every module file and folder with an index module in `dir`, by name. */
export function discoverPlugins(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || name === 'node_modules') continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      const index = readdirSync(full)
        .sort()
        .find((file) => INDEX.test(file));
      if (index !== undefined) out[name] = `./${name}/${index}`;
    } else if (MODULE_FILE.test(name) && !/\.d\.m?ts$/.test(name)) {
      out[name.replace(MODULE_FILE, '')] = `./${name}`;
    }
  }
  return out;
}

type Hook = (...args: unknown[]) => Promise<unknown>;

export default function sandboxPlugins(options: SandboxPluginsOptions): Plugin & { readonly host: PluginHost | undefined } {
  let host: PluginHost | undefined;
  let starting: Promise<PluginHost> | undefined;
  let root = process.cwd();
  let ids: string[] = [];

  const start = (watch: boolean | PluginWatcher, server?: ViteDevServer): Promise<PluginHost> =>
    (starting ??= (async () => {
      const dir = path.resolve(root, options.dir);
      const { dir: _dir, plugins, ...rest } = options;
      const entries = plugins ?? discoverPlugins(dir);
      const made = await createPluginHost({ ...rest, root: dir, plugins: entries, watch });
      ids = Object.keys(entries);
      if (server !== undefined) wire(made, server);
      host = made;
      return made;
    })());

  /** The user plugins' hooks named `name`, in plugin order, from the live generation. */
  const hooks = (name: string): Hook[] => {
    if (host === undefined) return [];
    const out: Hook[] = [];
    for (const id of ids) {
      if (host.status(id).state !== 'active') continue;
      const hook = ReflectGetOwnPropertyDescriptor(host.plugin(id).exports, name)?.value as unknown;
      if (typeof hook === 'function') out.push(hook as Hook);
    }
    return out;
  };

  return {
    name: 'esm-sandbox',
    get host() {
      return host;
    },
    configResolved(config) {
      root = config.root;
    },
    async configureServer(server) {
      const watch = options.watch ?? true;
      await start(watch === true ? sharedWatcher(server.watcher as unknown as SharedWatcherSource) : watch, server);
      server.middlewares.use((req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
        void respond(hooks('handle'), req, res).then((answered) => {
          if (!answered) next();
        }, next);
      });
    },
    async buildStart() {
      await start(false);
    },
    async resolveId(source, importer) {
      for (const hook of hooks('resolveId')) {
        const id = await hook(source, importer ?? null);
        if (typeof id === 'string') return id;
      }
      return null;
    },
    async load(id) {
      for (const hook of hooks('load')) {
        const code = codeOf(await hook(id));
        if (code !== undefined) return code;
      }
      return null;
    },
    async transform(code, id) {
      let current = code;
      let changed = false;
      for (const hook of hooks('transform')) {
        const next = codeOf(await hook(current, id));
        if (next !== undefined) {
          current = next;
          changed = true;
        }
      }
      return changed ? { code: current, map: null } : null;
    },
    async closeBundle() {
      const closing = host;
      host = undefined;
      starting = undefined;
      await closing?.close();
    },
  };
}

/** Reloads tell the browser; rollbacks show their error in Vite's overlay. */
function wire(host: PluginHost, server: ViteDevServer): void {
  host.on('reloaded', (event) => {
    const graph = server.moduleGraph as { invalidateAll?(): void } | undefined;
    graph?.invalidateAll?.();
    server.config.logger.info(
      `esm-sandbox: plugins ${event.plugins.join(', ')} reloaded (generation ${event.generation}, ${event.ms.toFixed(1)} ms)`,
      { timestamp: true },
    );
    server.ws.send({ type: 'custom', event: 'esm-sandbox:reloaded', data: { generation: event.generation, plugins: event.plugins } });
    server.ws.send({ type: 'full-reload', path: '*' });
  });
  host.on('rolled-back', (event) => {
    server.config.logger.error(
      `esm-sandbox: plugin ${event.plugin} kept its last good version (${event.phase} failed): ${event.error.message}`,
      { timestamp: true },
    );
    server.ws.send({ type: 'error', err: overlayError(event) });
  });
  host.on('error', (error) => server.config.logger.error(`esm-sandbox: ${error.message}`, { timestamp: true }));
}

function overlayError(event: RolledBackEvent): {
  message: string;
  stack: string;
  id?: string;
  frame?: string;
  plugin: string;
  loc?: { file?: string; line: number; column: number };
} {
  const error: EsmSandboxError = event.error;
  const file = error.url?.startsWith('file:') ? new URL(error.url).pathname : error.url;
  return {
    message: `[${event.phase}] ${error.message}`,
    stack: error.stack ?? '',
    plugin: `esm-sandbox:${event.plugin}`,
    ...(file !== undefined ? { id: file } : {}),
    ...(error.frame !== undefined ? { frame: error.frame } : {}),
    ...(error.line !== undefined ? { loc: { file, line: error.line, column: error.column ?? 1 } } : {}),
  };
}

function codeOf(result: unknown): string | undefined {
  if (typeof result === 'string') return result;
  if (result !== null && typeof result === 'object') {
    const code = ReflectGetOwnPropertyDescriptor(result, 'code')?.value as unknown;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

async function respond(handlers: Hook[], req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const request = { method: req.method ?? 'GET', url: req.url ?? '/', headers: { ...req.headers } };
  for (const handle of handlers) {
    const answer = (await handle(request)) as SandboxResponse | null | undefined;
    if (answer === null || answer === undefined || typeof answer !== 'object') continue;
    res.statusCode = typeof answer.status === 'number' ? answer.status : 200;
    for (const [name, value] of Object.entries(answer.headers ?? {})) if (typeof value === 'string') res.setHeader(name, value);
    res.end(typeof answer.body === 'string' ? answer.body : '');
    return true;
  }
  return false;
}
