/**
 * `import.meta.hot` for plugin modules: a Vite-compatible subset, built inside each plugin
 * sandbox by trusted source (a `SourceModule`), so its objects and callbacks belong to the
 * plugin's realm and nothing of the host is reachable through them. The host drives it through
 * the module's exports, which cross the membrane like any sandbox function.
 *
 * Differences from Vite (docs/PLUGINS.md):
 * - The unit of reload is the plugin, not the module: every reload evaluates the plugin's whole
 *   graph afresh in a new sandbox. `accept()` is recorded but changes nothing, and its callback is
 *   never called (the new module is not handed to the old one).
 * - `data` is copied into the next generation when it is *prepared*, which is before the old
 *   generation's `dispose` callbacks run: data written inside `dispose` is too late to be carried.
 *   It must be plain data (functions would still point into the retired generation).
 *   A rollback leaves the live generation's `data` as it was.
 * - `invalidate()` asks the host to reload this plugin (a new transaction).
 * - `on`/`off` receive what the host sends with `host.send(event, payload)`; there are no `vite:*`
 *   events. `prune`, `decline` and `send` are absent.
 */
import { SourceModule } from '../link/allowed.js';

/** The allow-listed specifier of the runtime (plugins may import it, but gain nothing from it). */
export const HOT_SPECIFIER = 'esm-sandbox:hot';

const HOT_SOURCE = String.raw`
const create = Object.create;
const freeze = Object.freeze;
const keys = Object.keys;
const apply = Reflect.apply;
const records = create(null);
let carried = create(null);
let invalidate = () => {};
let firstUse;

export default function hot(url) {
  const known = records[url];
  if (known !== undefined) return known.hot;
  const tell = firstUse;
  if (tell !== undefined) {
    firstUse = undefined;
    apply(tell, undefined, []);
  }
  const record = { data: carried[url] ?? {}, disposers: [], listeners: create(null), accepted: false, hot: undefined };
  record.hot = freeze({
    data: record.data,
    accept() { record.accepted = true; },
    dispose(callback) {
      if (typeof callback !== 'function') throw new TypeError('import.meta.hot.dispose: callback must be a function');
      record.disposers[record.disposers.length] = callback;
    },
    invalidate(message) { invalidate(url, typeof message === 'string' ? message : ''); },
    on(event, callback) {
      if (typeof callback !== 'function') throw new TypeError('import.meta.hot.on: callback must be a function');
      const list = record.listeners[event] ?? (record.listeners[event] = []);
      list[list.length] = callback;
    },
    off(event, callback) {
      const list = record.listeners[event];
      if (list === undefined) return;
      const kept = [];
      for (let i = 0; i < list.length; i++) if (list[i] !== callback) kept[kept.length] = list[i];
      record.listeners[event] = kept;
    },
  });
  records[url] = record;
  return record.hot;
}

export function install(data, onInvalidate, onFirstUse) {
  carried = create(null);
  for (const url of keys(data)) carried[url] = data[url];
  invalidate = onInvalidate;
  firstUse = onFirstUse;
}

export function collect() {
  const out = create(null);
  for (const url of keys(carried)) out[url] = carried[url];
  for (const url of keys(records)) out[url] = records[url].data;
  return out;
}

export async function dispose() {
  for (const url of keys(records)) {
    const record = records[url];
    for (let i = 0; i < record.disposers.length; i++) await apply(record.disposers[i], undefined, [record.data]);
  }
}

export function emit(event, payload) {
  for (const url of keys(records)) {
    const list = records[url].listeners[event];
    if (list !== undefined) for (let i = 0; i < list.length; i++) apply(list[i], undefined, [payload]);
  }
}
`;

export const hotRuntime = new SourceModule(HOT_SOURCE);

/** The runtime's exports as the host sees them (functions returning promises). */
export interface HotControl {
  /** `firstUse` is called once, when a module first reads `import.meta` (until then collect, dispose and emit have nothing to do). */
  install(data: Readonly<Record<string, unknown>>, invalidate: (url: string, message: string) => void, firstUse: () => void): Promise<void>;
  collect(): Promise<Record<string, unknown>>;
  dispose(): Promise<void>;
  emit(event: string, payload: unknown): Promise<void>;
}
