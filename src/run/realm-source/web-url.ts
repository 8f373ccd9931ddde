/**
 * Realm source: `URL` and `URLSearchParams`. Parsing a URL is the host's (Node's WHATWG parser):
 * the realm hands it strings (`HostOp.UrlParse`: input and base; `HostOp.UrlSet`: an href, the
 * part to set, its new value) and gets back a realm array of the parsed parts (HREF..HASH below),
 * made by the kit, or undefined when the input is not a URL. No host object ever exists on this
 * side: the class, its instances and every value they give out are the realm's. The query list
 * (`application/x-www-form-urlencoded`) is parsed and serialized here, in plain JS over
 * web-text.ts's UTF-8, and kept in step with its URL as the URL Standard says.
 *
 * In scope: web-base.ts, web-text.ts, callHost, apply, defineProperty, MapCtor, TypeErrorCtor, hide.
 * Defines: the makers of URL and URLSearchParams.
 */
import { HostOp } from '../../realm-protocol.js';

/** The order of a URL's parts in the host's answer (run/web-host.ts builds it; the realm reads them by these indices). */
export const URL_PARTS = [
  'href',
  'origin',
  'protocol',
  'username',
  'password',
  'host',
  'hostname',
  'port',
  'pathname',
  'search',
  'hash',
] as const;

const part = (name: (typeof URL_PARTS)[number]): number => URL_PARTS.indexOf(name);

export const WEB_URL_SOURCE = String.raw`
let urlGroup;
function makeUrl() {
  if (urlGroup !== undefined) return urlGroup;
  const HREF = ${part('href')}, ORIGIN = ${part('origin')}, PROTOCOL = ${part('protocol')}, USERNAME = ${part('username')},
    PASSWORD = ${part('password')}, HOST = ${part('host')}, HOSTNAME = ${part('hostname')}, PORT = ${part('port')},
    PATHNAME = ${part('pathname')}, SEARCH = ${part('search')}, HASH = ${part('hash')};
  const HEX = '0123456789ABCDEF';
  const hexValue = (c) => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1);
  // Percent-decoding to bytes ('+' as a space first), then UTF-8 with U+FFFD for errors.
  function formDecode(s, start, end) {
    let plain = true;
    for (let i = start; i < end && plain; i++) { const c = charCodeAt(s, i); plain = c !== 37 && c !== 43 && c < 0x80; }
    if (plain) { charge(end - start); return stringSlice(s, start, end); }
    // A code unit is at most 3 bytes of UTF-8 (a pair: 4 bytes for 2 units).
    const bytes = new CountedUint8Array((end - start) * 3);
    let j = 0;
    for (let i = start; i < end; i++) {
      charge(1);
      const c = charCodeAt(s, i);
      if (c === 43) { bytes[j++] = 32; continue; }
      if (c === 37 && i + 2 < end) {
        const hi = hexValue(charCodeAt(s, i + 1)), lo = hexValue(charCodeAt(s, i + 2));
        if (hi >= 0 && lo >= 0) { bytes[j++] = (hi << 4) | lo; i += 2; continue; }
      }
      // Anything else: the code point's UTF-8 bytes.
      j += utf8Put(codePointAt(s, i, end), bytes, j);
      i += utf8Units - 1;
    }
    return utf8Decode(new NativeUint8Array(apply(viewBuffer, bytes, []), 0, j), newDecoderState(), false, true, true);
  }
  function parseQuery(s) {
    const list = nullList();
    const n = s.length;
    let start = 0;
    while (start <= n) {
      let end = start;
      while (end < n && charCodeAt(s, end) !== 38) { charge(1); end++; }
      if (end > start) {
        let eq = start;
        while (eq < end && charCodeAt(s, eq) !== 61) eq++;
        list[list.length] = { __proto__: null, name: formDecode(s, start, eq), value: eq < end ? formDecode(s, eq + 1, end) : '' };
      }
      start = end + 1;
    }
    return list;
  }
  // Bytes outside *-._ and ASCII alphanumerics are percent-encoded, a space becomes '+'.
  const bytes4 = new NativeUint8Array(4);
  function formEncode(s, b) {
    const n = s.length;
    for (let i = 0; i < n; ) {
      charge(1);
      const c = charCodeAt(s, i);
      if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 42 || c === 45 || c === 46 || c === 95) { put(b, c); i++; continue; }
      if (c === 32) { put(b, 43); i++; continue; }
      const size = utf8Put(codePointAt(s, i, n), bytes4, 0);
      i += utf8Units;
      for (let k = 0; k < size; k++) { put(b, 37); put(b, charCodeAt(HEX, bytes4[k] >> 4)); put(b, charCodeAt(HEX, bytes4[k] & 15)); }
    }
  }
  function serializeQuery(list) {
    const b = stringBuilder(CHUNK);
    for (let i = 0; i < list.length; i++) {
      if (i > 0) put(b, 38);
      formEncode(list[i].name, b);
      put(b, 61);
      formEncode(list[i].value, b);
    }
    return built(b);
  }
  const required = (count, min, what) => { if (count < min) throw new TypeErrorCtor(what + ': ' + min + ' argument' + (min > 1 ? 's' : '') + ' required, but only ' + count + ' present'); };

  let paramsOf, attachParams, replaceList, urlUpdated;
  class URLSearchParams {
    #list; #url = null;
    static {
      paramsOf = (p) => p.#list;
      attachParams = (p, url) => { p.#url = url; };
      replaceList = (p, list) => { p.#list = list; };
    }
    constructor(init = undefined) {
      if (isObject(init)) {
        const method = init[SymbolIterator];
        if (method !== undefined && method !== null) {
          if (typeof method !== 'function') throw new TypeErrorCtor("URLSearchParams: the init's Symbol.iterator is not a function");
          const list = nullList();
          for (const pair of { __proto__: null, [SymbolIterator]: () => apply(method, init, []) }) {
            charge(1);
            if (!isObject(pair)) throw new TypeErrorCtor('URLSearchParams: each pair must be an iterable [name, value]');
            const parts = nullList();
            for (const part of pair) parts[parts.length] = usv(part);
            if (parts.length !== 2) throw new TypeErrorCtor('URLSearchParams: each pair must have exactly two items');
            list[list.length] = { __proto__: null, name: parts[0], value: parts[1] };
          }
          this.#list = list;
        } else {
          const list = nullList();
          const keys = ownKeys(init);
          for (let i = 0; i < keys.length; i++) {
            charge(1);
            const d = getOwnPropertyDescriptor(init, keys[i]);
            if (d === undefined || !d.enumerable) continue;
            list[list.length] = { __proto__: null, name: usv(keys[i]), value: usv(init[keys[i]]) };
          }
          this.#list = list;
        }
      } else {
        const s = init === undefined ? '' : usv(init);
        this.#list = parseQuery(s.length > 0 && charCodeAt(s, 0) === 63 ? stringSlice(s, 1) : s);
      }
    }
    #update() { if (this.#url !== null) urlUpdated(this.#url, serializeQuery(this.#list)); }
    get size() { return this.#list.length; }
    append(name, value) {
      required(arguments.length, 2, 'URLSearchParams.append');
      const list = this.#list;
      list[list.length] = { __proto__: null, name: usv(name), value: usv(value) };
      this.#update();
    }
    delete(name, value = undefined) {
      required(arguments.length, 1, 'URLSearchParams.delete');
      const n = usv(name), v = value === undefined ? undefined : usv(value), list = this.#list, kept = nullList();
      for (let i = 0; i < list.length; i++) if (list[i].name !== n || (v !== undefined && list[i].value !== v)) kept[kept.length] = list[i];
      this.#list = kept;
      this.#update();
    }
    get(name) {
      required(arguments.length, 1, 'URLSearchParams.get');
      const n = usv(name), list = this.#list;
      for (let i = 0; i < list.length; i++) if (list[i].name === n) return list[i].value;
      return null;
    }
    getAll(name) {
      required(arguments.length, 1, 'URLSearchParams.getAll');
      const n = usv(name), list = this.#list, out = [];
      for (let i = 0; i < list.length; i++) if (list[i].name === n) defineProperty(out, out.length, { __proto__: null, value: list[i].value, writable: true, enumerable: true, configurable: true });
      return out;
    }
    has(name, value = undefined) {
      required(arguments.length, 1, 'URLSearchParams.has');
      const n = usv(name), v = value === undefined ? undefined : usv(value), list = this.#list;
      for (let i = 0; i < list.length; i++) if (list[i].name === n && (v === undefined || list[i].value === v)) return true;
      return false;
    }
    set(name, value) {
      required(arguments.length, 2, 'URLSearchParams.set');
      const n = usv(name), v = usv(value), list = this.#list, kept = nullList();
      let found = false;
      for (let i = 0; i < list.length; i++) {
        if (list[i].name !== n) kept[kept.length] = list[i];
        else if (!found) { found = true; kept[kept.length] = { __proto__: null, name: n, value: v }; }
      }
      if (!found) kept[kept.length] = { __proto__: null, name: n, value: v };
      this.#list = kept;
      this.#update();
    }
    sort() {
      // Stable, by UTF-16 code units of the names.
      apply(ArraySort, this.#list, [(a, b) => { charge(1); return a.name < b.name ? -1 : a.name > b.name ? 1 : 0; }]);
      this.#update();
    }
    forEach(callback, thisArg = undefined) {
      if (typeof callback !== 'function') throw new TypeErrorCtor('URLSearchParams.forEach: the callback must be a function');
      for (let i = 0; i < this.#list.length; i++) { const e = this.#list[i]; apply(callback, thisArg, [e.value, e.name, this]); }
    }
    *entries() { for (let i = 0; i < this.#list.length; i++) { const e = this.#list[i]; yield [e.name, e.value]; } }
    *keys() { for (let i = 0; i < this.#list.length; i++) yield this.#list[i].name; }
    *values() { for (let i = 0; i < this.#list.length; i++) yield this.#list[i].value; }
    toString() { return serializeQuery(this.#list); }
  }
  hide(URLSearchParams.prototype, SymbolIterator, URLSearchParams.prototype.entries);
  tagClass(URLSearchParams, 'URLSearchParams');

  const invalid = (input) => {
    const e = new TypeErrorCtor('Invalid URL');
    hide(e, 'code', 'ERR_INVALID_URL');
    hide(e, 'input', input);
    return e;
  };
  const parse = (url, base) => callHost(${HostOp.UrlParse}, usv(url), base === undefined ? undefined : usv(base));
  class URL {
    #parts; #query;
    static {
      urlUpdated = (url, query) => {
        const parts = callHost(${HostOp.UrlSet}, url.#parts[HREF], 'search', query);
        if (parts !== undefined) url.#parts = parts;
      };
    }
    constructor(url, base = undefined) {
      required(arguments.length, 1, 'URL');
      const parts = parse(url, base);
      if (parts === undefined) throw invalid(usv(url));
      this.#parts = parts;
      this.#query = new URLSearchParams(stringSlice(parts[SEARCH], 1));
      attachParams(this.#query, this);
    }
    static canParse(url, base = undefined) {
      required(arguments.length, 1, 'URL.canParse');
      return parse(url, base) !== undefined;
    }
    static parse(url, base = undefined) {
      required(arguments.length, 1, 'URL.parse');
      return parse(url, base) === undefined ? null : new URL(url, base);
    }
    #set(part, value) {
      const parts = callHost(${HostOp.UrlSet}, this.#parts[HREF], part, usv(value));
      if (parts === undefined) return;
      this.#parts = parts;
      if (part === 'search') replaceList(this.#query, parseQuery(stringSlice(parts[SEARCH], 1)));
    }
    get href() { return this.#parts[HREF]; }
    set href(value) {
      const parts = parse(value, undefined);
      if (parts === undefined) throw invalid(usv(value));
      this.#parts = parts;
      replaceList(this.#query, parseQuery(stringSlice(parts[SEARCH], 1)));
    }
    get origin() { return this.#parts[ORIGIN]; }
    get protocol() { return this.#parts[PROTOCOL]; }
    set protocol(value) { this.#set('protocol', value); }
    get username() { return this.#parts[USERNAME]; }
    set username(value) { this.#set('username', value); }
    get password() { return this.#parts[PASSWORD]; }
    set password(value) { this.#set('password', value); }
    get host() { return this.#parts[HOST]; }
    set host(value) { this.#set('host', value); }
    get hostname() { return this.#parts[HOSTNAME]; }
    set hostname(value) { this.#set('hostname', value); }
    get port() { return this.#parts[PORT]; }
    set port(value) { this.#set('port', value); }
    get pathname() { return this.#parts[PATHNAME]; }
    set pathname(value) { this.#set('pathname', value); }
    get search() { return this.#parts[SEARCH]; }
    set search(value) { this.#set('search', value); }
    get searchParams() { return this.#query; }
    get hash() { return this.#parts[HASH]; }
    set hash(value) { this.#set('hash', value); }
    toString() { return this.#parts[HREF]; }
    toJSON() { return this.#parts[HREF]; }
  }
  tagClass(URL, 'URL');
  return (urlGroup = { __proto__: null, URL, URLSearchParams });
}
webMakers.URL = () => makeUrl().URL;
webMakers.URLSearchParams = () => makeUrl().URLSearchParams;
`;
