/**
 * Realm source: stack traces. The realm's `Error.prepareStackTrace` is locked to one that shows
 * only the user's frames (modules registered by the kit's `registerModule`), maps columns back
 * through the catch-guard rewrite's edits, and records each error's frames for the host
 * ("url\tline\tcol\tfn\tprefix\n" rows, read by the kit's `callerFrames` and by `describe`).
 * Outside a turn it formats without reading anything of the user's (`inTurn`, set by the kit).
 *
 * In scope: g, apply, getPrototypeOf, ErrorCtor, MapCtor, WeakMapCtor, MapGet, MapHas,
 * WeakMapSet, StringCharCodeAt, lock.
 * Defines: inTurn, modules, framesOf, captureStackTrace.
 */
export const TAME_STACK_SOURCE = String.raw`
let inTurn = false;
const modules = new MapCtor();          // url -> the transform's edits, "line,column0,length,..." by line and column
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
// The edits are read here, digit by digit, only when a frame of the module is formatted: a module
// is registered at every compile (a plugin's whole graph at every reload), and few ever throw. Read
// with the captured charCodeAt alone: String.prototype.split would look up Symbol.split on the
// realm's String.prototype, which sandbox code can define, and this may run outside any turn.
function originalColumn(url, line, column0) {
  const edits = apply(MapGet, modules, [url]);
  if (typeof edits !== 'string') return column0;
  let shift = 0, field = 0, number = 0, editLine = 0, editColumn = 0;
  const end = edits.length;
  for (let i = 0; i <= end; i++) {
    const code = i < end ? apply(StringCharCodeAt, edits, [i]) : 44;
    if (code !== 44) { number = number * 10 + code - 48; continue; }
    if (field === 0) editLine = number;
    else if (field === 1) editColumn = number;
    else if (editLine > line) break;
    else if (editLine === line) {
      const start = editColumn + shift;
      if (column0 >= start + number) shift += number;
      else if (column0 >= start) return editColumn;
      else break;
    }
    field = field === 2 ? 0 : field + 1;
    number = 0;
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
