/**
 * Realm source: CommonJS inside the sandbox. The host compiles each CommonJS file of a package as
 * a function of this realm (link/commonjs.ts, `vm.compileFunction` with this context) and hands it
 * over with `registerCommonJS`; everything that runs it is made here: the module cache (one per
 * sandbox: this closure), each file's `module`, `exports` and `require`, and the loader an ES
 * module facade calls (`commonjsLoader`, reachable only through the facade's `import.meta`).
 *
 * `require(specifier)` asks the host which file the specifier names (`HostOp.Require`: the same
 * resolver, confinement and allow-list as imports, with the `require` conditions), once per
 * specifier and file; the host answers with a graph key or a realm error to throw. As in Node, a
 * file is in the cache from the moment it starts running, so a cycle gets the partial
 * `module.exports`, and a file whose body threw leaves the cache.
 *
 * In scope: apply, defineProperty, ObjectCreate, MapCtor, MapGet, MapSet, ErrorCtor, TypeErrorCtor,
 * callHost, FAIL, takeStashed. Defines: registerCommonJS, registerCommonJSValue, commonjsLoader.
 */
import { HostOp } from '../../realm-protocol.js';

export const COMMONJS_SOURCE = String.raw`
const ObjectHasOwn = Object.hasOwn;
let commonjs;
const commonjsRecord = (key) => {
  if (commonjs === undefined) commonjs = new MapCtor();
  let record = apply(MapGet, commonjs, [key]);
  if (record === undefined) { record = ObjectCreate(null); apply(MapSet, commonjs, [key, record]); }
  return record;
};
function registerCommonJS(key, fn, filename, dirname) {
  const record = commonjsRecord(key);
  record.fn = fn; record.filename = filename; record.dirname = dirname;
}
function registerCommonJSValue(key, value) {
  commonjsRecord(key).module = { exports: value, loaded: true };
}
function makeRequire(referrer) {
  const targets = new MapCtor();
  return function require(id) {
    if (typeof id !== 'string') throw new TypeErrorCtor('The "id" argument of require() must be a string');
    let target = apply(MapGet, targets, [id]);
    if (target === undefined) {
      target = callHost(${HostOp.Require}, referrer, id);
      if (target === FAIL) throw takeStashed();
      apply(MapSet, targets, [id, target]);
    }
    return loadCommonJS(target);
  };
}
function loadCommonJS(key) {
  const record = commonjs === undefined ? undefined : apply(MapGet, commonjs, [key]);
  if (record === undefined) throw new ErrorCtor('esm-sandbox: a CommonJS module was not loaded');
  if (record.module !== undefined) return record.module.exports;
  const exports = {};
  const require = makeRequire(key);
  const module = { id: record.filename, path: record.dirname, exports, filename: record.filename, loaded: false, children: [], paths: [], require };
  record.module = module;
  try {
    apply(record.fn, exports, [exports, require, module, record.filename, record.dirname]);
  } catch (e) {
    record.module = undefined;
    throw e;
  }
  module.loaded = true;
  return module.exports;
}
// What a facade exports: module.exports, then each name it has as an own property, read once (a
// getter that throws gives undefined, as in Node's wrapper).
function commonjsLoader(key) {
  return function load(names) {
    const exports = loadCommonJS(key);
    const out = [exports];
    const object = exports !== null && (typeof exports === 'object' || typeof exports === 'function');
    for (let i = 0; i < names.length; i++) {
      let value;
      if (object && apply(ObjectHasOwn, undefined, [exports, names[i]])) {
        try { value = exports[names[i]]; } catch { value = undefined; }
      }
      defineProperty(out, i + 1, { value, writable: true, enumerable: true, configurable: true });
    }
    return out;
  };
}
`;
