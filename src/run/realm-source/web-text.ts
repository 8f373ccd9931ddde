/**
 * Realm source: `TextEncoder`, `TextDecoder` (UTF-8, as the Encoding Standard decodes it: errors
 * become U+FFFD or, `fatal`, a TypeError; `stream` keeps a split sequence for the next call; a
 * leading BOM is dropped unless `ignoreBOM`), `atob` and `btoa` (forgiving base64), written here in
 * plain JS: each is short and exactly specified, and a realm-made loop keeps every value the
 * sandbox's own. Other encodings than UTF-8 are refused with a RangeError, as Node without ICU does.
 *
 * Every loop charges its length (web-base.ts), so a huge input ends with the turn's time, not
 * after it; output arrays are allocated by the counted constructors.
 *
 * In scope: web-base.ts, apply, TypeErrorCtor, RangeErrorCtor.
 * Defines: codePointAt, utf8Units, utf8Put, utf8Write, utf8Size, newDecoderState, utf8Decode, stringBuilder, put, built (also used
 * by web-url.ts), and the makers of TextEncoder, TextDecoder, atob, btoa.
 */
export const WEB_TEXT_SOURCE = String.raw`
// Strings are built from chunks of UTF-16 code units (fromCharCode over a typed array reads no user property).
const CHUNK = 8192;
// size: how many code units are likely (a short string gets a short chunk).
// (Typed arrays' lengths are kept here, not read: user code may redefine the length getter.)
function stringBuilder(size) {
  const capacity = size < CHUNK ? (size < 16 ? 16 : size | 0) : CHUNK;
  return { __proto__: null, chunk: new NativeUint16Array(capacity), capacity, k: 0, out: '' };
}
function put(b, unit) {
  b.chunk[b.k++] = unit;
  if (b.k === b.capacity) { b.out += apply(StringFromCharCode, null, b.chunk); b.k = 0; }
}
function built(b) {
  if (b.k > 0) b.out += apply(StringFromCharCode, null, new NativeUint16Array(apply(viewBuffer, b.chunk, []), 0, b.k));
  b.k = 0;
  return b.out;
}

// The code point at i of s (lone surrogates: U+FFFD); utf8Units is how many code units it took.
let utf8Units = 1;
function codePointAt(s, i, n) {
  const c = charCodeAt(s, i);
  utf8Units = 1;
  if (c < 0xd800 || c > 0xdfff) return c;
  if (c <= 0xdbff && i + 1 < n) {
    const d = charCodeAt(s, i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) { utf8Units = 2; return 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); }
  }
  return 0xfffd;
}
function utf8Size(s) {
  const n = s.length;
  let size = 0;
  for (let i = 0; i < n; i += utf8Units) {
    charge(1);
    const c = codePointAt(s, i, n);
    size += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return size;
}
// Writes whole code points of s into out (a Uint8Array) while they fit in capacity; utf8Read says how many code units went.
let utf8Read = 0;
function utf8Write(s, out, capacity) {
  const n = s.length;
  let i = 0, j = 0;
  for (; i < n; i += utf8Units) {
    charge(1);
    const c = codePointAt(s, i, n);
    const size = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (j + size > capacity) break;
    j += utf8Put(c, out, j);
  }
  utf8Read = i;
  return j;
}
// Writes code point c as UTF-8 at out[j]; returns how many bytes.
function utf8Put(c, out, j) {
  if (c < 0x80) { out[j] = c; return 1; }
  if (c < 0x800) { out[j] = 0xc0 | (c >> 6); out[j + 1] = 0x80 | (c & 63); return 2; }
  if (c < 0x10000) { out[j] = 0xe0 | (c >> 12); out[j + 1] = 0x80 | ((c >> 6) & 63); out[j + 2] = 0x80 | (c & 63); return 3; }
  out[j] = 0xf0 | (c >> 18); out[j + 1] = 0x80 | ((c >> 12) & 63); out[j + 2] = 0x80 | ((c >> 6) & 63); out[j + 3] = 0x80 | (c & 63);
  return 4;
}

// The Encoding Standard's UTF-8 decoder, its state kept between calls for streaming.
const newDecoderState = () => ({ __proto__: null, cp: 0, seen: 0, needed: 0, lower: 0x80, upper: 0xbf, bomSeen: false });
const invalidUtf8 = () => { const e = new TypeErrorCtor('The encoded data was not valid for encoding utf-8'); hide(e, 'code', 'ERR_ENCODING_INVALID_ENCODED_DATA'); return e; };
function utf8Decode(bytes, state, fatal, flush, keepBOM) {
  const n = apply(viewLength, bytes, []);
  const b = stringBuilder(n);
  let { cp, seen, needed, lower, upper, bomSeen } = state;
  const emit = (code) => {
    if (!bomSeen) { bomSeen = true; if (code === 0xfeff && !keepBOM) return; }
    if (code > 0xffff) { code -= 0x10000; put(b, 0xd800 + (code >> 10)); put(b, 0xdc00 + (code & 0x3ff)); } else put(b, code);
  };
  const error = () => {
    cp = seen = needed = 0; lower = 0x80; upper = 0xbf;
    if (fatal) { state.cp = 0; state.seen = 0; state.needed = 0; state.lower = 0x80; state.upper = 0xbf; state.bomSeen = false; throw invalidUtf8(); }
    emit(0xfffd);
  };
  for (let i = 0; i < n; i++) {
    charge(1);
    const byte = bytes[i];
    if (needed === 0) {
      if (byte <= 0x7f) {
        // ASCII, the common case: straight into the chunk.
        if (bomSeen) { const chunk = b.chunk; chunk[b.k++] = byte; if (b.k === b.capacity) { b.out += apply(StringFromCharCode, null, chunk); b.k = 0; } }
        else emit(byte);
      }
      else if (byte >= 0xc2 && byte <= 0xdf) { needed = 1; cp = byte & 0x1f; }
      else if (byte >= 0xe0 && byte <= 0xef) { if (byte === 0xe0) lower = 0xa0; if (byte === 0xed) upper = 0x9f; needed = 2; cp = byte & 0xf; }
      else if (byte >= 0xf0 && byte <= 0xf4) { if (byte === 0xf0) lower = 0x90; if (byte === 0xf4) upper = 0x8f; needed = 3; cp = byte & 0x7; }
      else error();
      continue;
    }
    if (byte < lower || byte > upper) { error(); i--; continue; }
    lower = 0x80; upper = 0xbf;
    cp = (cp << 6) | (byte & 0x3f);
    if (++seen !== needed) continue;
    const code = cp;
    cp = seen = needed = 0;
    emit(code);
  }
  if (flush) {
    if (needed !== 0) error();
    bomSeen = false;
  }
  state.cp = cp; state.seen = seen; state.needed = needed; state.lower = lower; state.upper = upper; state.bomSeen = bomSeen;
  return built(b);
}
const dictionary = (options, what) => {
  if (options === undefined || options === null) return undefined;
  if (!isObject(options)) throw new TypeErrorCtor(what + ': options must be an object');
  return options;
};

let textGroup;
function makeText() {
  if (textGroup !== undefined) return textGroup;
  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(input = '') {
      const s = toStr(input);
      const size = utf8Size(s);
      const out = new CountedUint8Array(size);
      utf8Write(s, out, size);
      return out;
    }
    encodeInto(source, destination) {
      const s = toStr(source);
      if (!isObject(destination) || apply(viewTag, destination, []) !== 'Uint8Array') throw new TypeErrorCtor('TextEncoder.encodeInto: the destination must be a Uint8Array');
      const written = utf8Write(s, destination, apply(viewLength, destination, []));
      return { read: utf8Read, written };
    }
  }
  const labels = ['utf-8', 'utf8', 'unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'x-unicode20utf8'];
  const isSpace = (c) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
  class TextDecoder {
    #fatal; #ignoreBOM; #state = newDecoderState();
    constructor(label = 'utf-8', options = undefined) {
      let name = toStr(label), start = 0, end = name.length;
      while (start < end && isSpace(charCodeAt(name, start))) start++;
      while (end > start && isSpace(charCodeAt(name, end - 1))) end--;
      name = toLowerCase(stringSlice(name, start, end));
      let known = false;
      for (let i = 0; i < labels.length; i++) if (labels[i] === name) known = true;
      if (!known) { const e = new RangeErrorCtor('The "' + name + '" encoding is not supported in the sandbox (only utf-8)'); hide(e, 'code', 'ERR_ENCODING_NOT_SUPPORTED'); throw e; }
      const o = dictionary(options, 'TextDecoder');
      this.#fatal = o === undefined ? false : !!o.fatal;
      this.#ignoreBOM = o === undefined ? false : !!o.ignoreBOM;
    }
    get encoding() { return 'utf-8'; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input = undefined, options = undefined) {
      const bytes = input === undefined ? new NativeUint8Array(0) : bytesOf(input, 'TextDecoder.decode');
      const o = dictionary(options, 'TextDecoder.decode');
      const stream = o === undefined ? false : !!o.stream;
      return utf8Decode(bytes, this.#state, this.#fatal, !stream, this.#ignoreBOM);
    }
  }
  tagClass(TextEncoder, 'TextEncoder');
  tagClass(TextDecoder, 'TextDecoder');

  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const sextet = new NativeUint8Array(128);
  for (let i = 0; i < 128; i++) sextet[i] = 255;
  for (let i = 0; i < 64; i++) sextet[charCodeAt(ALPHABET, i)] = i;
  const badBase64 = () => domError('The string to be decoded is not correctly encoded.', 'InvalidCharacterError');
  const required = (count, what) => { if (count < 1) throw new TypeErrorCtor(what + ': 1 argument required, but only 0 present'); };
  const { atob, btoa } = {
    btoa(data) {
      required(arguments.length, 'btoa');
      const s = toStr(data), n = s.length, b = stringBuilder(((n + 2) / 3) * 4);
      for (let i = 0; i < n; i += 3) {
        charge(1);
        const c0 = charCodeAt(s, i), c1 = i + 1 < n ? charCodeAt(s, i + 1) : 0, c2 = i + 2 < n ? charCodeAt(s, i + 2) : 0;
        if (c0 > 255 || c1 > 255 || c2 > 255) throw domError('Invalid character', 'InvalidCharacterError');
        put(b, charCodeAt(ALPHABET, c0 >> 2));
        put(b, charCodeAt(ALPHABET, ((c0 & 3) << 4) | (c1 >> 4)));
        put(b, i + 1 < n ? charCodeAt(ALPHABET, ((c1 & 15) << 2) | (c2 >> 6)) : 61);
        put(b, i + 2 < n ? charCodeAt(ALPHABET, c2 & 63) : 61);
      }
      return built(b);
    },
    atob(data) {
      required(arguments.length, 'atob');
      const s = toStr(data), n = s.length;
      // Sextets without the ASCII whitespace; '=' kept as 64 until the padding is checked.
      const values = new CountedUint8Array(n);
      let m = 0;
      for (let i = 0; i < n; i++) {
        charge(1);
        const c = charCodeAt(s, i);
        if (isSpace(c)) continue;
        const v = c === 61 ? 64 : c < 128 ? sextet[c] : 255;
        if (v === 255) throw badBase64();
        values[m++] = v;
      }
      if (m % 4 === 0 && m > 0 && values[m - 1] === 64) { m--; if (values[m - 1] === 64) m--; }
      if (m % 4 === 1) throw badBase64();
      const b = stringBuilder((m * 3) / 4);
      let bits = 0, count = 0;
      for (let i = 0; i < m; i++) {
        charge(1);
        const v = values[i];
        if (v === 64) throw badBase64();
        bits = ((bits << 6) | v) & 0xffffff;
        count += 6;
        if (count >= 8) { count -= 8; put(b, (bits >> count) & 255); }
      }
      return built(b);
    },
  };
  return (textGroup = { __proto__: null, TextEncoder, TextDecoder, atob, btoa });
}
webMakers.TextEncoder = () => makeText().TextEncoder;
webMakers.TextDecoder = () => makeText().TextDecoder;
webMakers.atob = () => makeText().atob;
webMakers.btoa = () => makeText().btoa;
`;
