/**
 * Realm source: stack traces. The realm's `Error.prepareStackTrace` is locked to one that shows
 * only the user's frames (modules registered by the kit's `registerModule`), maps columns back
 * through the catch-guard rewrite's edits, and records each error's frames for the host
 * ("url\tline\tcol\tfn\tprefix\n" rows, read by the kit's `callerFrames` and by `describe`).
 * Outside a turn it formats without reading anything of the user's (`inTurn`, set by the kit).
 *
 * In scope: g, apply, getPrototypeOf, ErrorCtor, MapCtor, WeakMapCtor, MapGet, MapHas,
 * WeakMapSet, lock.
 * Defines: inTurn, modules, framesOf, captureStackTrace.
 */
export const TAME_STACK_SOURCE = String.raw`
let inTurn = false;
const modules = new MapCtor();          // url -> Map(line -> [origColumn0, length, ...])
const framesOf = new WeakMapCtor();      // error -> "url\tline\tcol\tfn\tprefix\n..."
let CallSite;
{
  const saved = ErrorCtor.prepareStackTrace;
  ErrorCtor.prepareStackTrace = (_, sites) => sites;
  const sites = new ErrorCtor().stack;
  ErrorCtor.prepareStackTrace = saved;
  CallSite = getPrototypeOf(sites[0]);
}
// Captured now: user code may replace Error.captureStackTrace later.
const captureStackTrace = ErrorCtor.captureStackTrace;
const siteFile = CallSite.getScriptNameOrSourceURL || CallSite.getFileName, siteLine = CallSite.getLineNumber,
  siteColumn = CallSite.getColumnNumber, siteFunction = CallSite.getFunctionName,
  siteAsync = CallSite.isAsync, siteConstructor = CallSite.isConstructor;
function originalColumn(url, line, column0) {
  const lines = apply(MapGet, modules, [url]);
  const edits = lines && apply(MapGet, lines, [line]);
  if (!edits) return column0;
  let shift = 0;
  for (let i = 0; i < edits.length; i += 2) {
    const start = edits[i] + shift, len = edits[i + 1];
    if (column0 >= start + len) shift += len;
    else if (column0 >= start) return edits[i];
    else break;
  }
  return column0 - shift;
}
function header(error) {
  // Outside a turn nothing of the user's may run: no getters, no proxies' traps.
  if (!inTurn) return 'Error';
  let name = 'Error', message = '';
  try { const n = error.name; if (typeof n === 'string') name = n; } catch {}
  try { const m = error.message; if (typeof m === 'string') message = m; } catch {}
  return message === '' ? name : name + ': ' + message;
}
function prepareStackTrace(error, sites) {
  let text = header(error), frames = '';
  for (let i = 0; i < sites.length; i++) {
    try {
      const site = sites[i];
      const url = apply(siteFile, site, []);
      if (typeof url !== 'string' || !apply(MapHas, modules, [url])) continue;
      const line = apply(siteLine, site, []);
      const column = originalColumn(url, line, apply(siteColumn, site, []) - 1) + 1;
      const fn = apply(siteFunction, site, []);
      const prefix = apply(siteAsync, site, []) ? 'async ' : apply(siteConstructor, site, []) ? 'new ' : '';
      const where = url + ':' + line + ':' + column;
      text += '\n    at ' + (fn ? prefix + fn + ' (' + where + ')' : prefix + where);
      frames += url + '\t' + line + '\t' + column + '\t' + (fn || '') + '\t' + prefix + '\n';
    } catch {}
  }
  try { if (error !== null && typeof error === 'object') apply(WeakMapSet, framesOf, [error, frames]); } catch {}
  return text;
}
lock(ErrorCtor, 'prepareStackTrace', prepareStackTrace);
lock(g, 'Error', ErrorCtor);
`;
