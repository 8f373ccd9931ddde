/**
 * Which regular expression literals an expression may hold. V8's irregexp backtracks, so a
 * pattern is accepted only when its worst case is a known polynomial that the runtime can price
 * before matching: no backreferences, no lookaround, no quantified group (star height at most
 * one), and at most MAX_DEGREE unbounded quantifiers. A match over `n` characters is charged
 * `n ** degree` (the backtracking bound), where `degree` counts the unbounded quantifiers.
 */

export const MAX_DEGREE = 3;
const FLAGS = /^[dgimsuy]*$/;

export type RegexVerdict = { ok: true; degree: number } | { ok: false; reason: string };

export function checkRegex(pattern: string, flags: string): RegexVerdict {
  if (!FLAGS.test(flags))
    return { ok: false, reason: `the regular expression flags "${flags}" are not allowed (only d, g, i, m, s, u, y)` };
  let degree = 0;
  let inClass = false;
  /** What the previous token was: a quantifiable atom, a group end, or nothing quantifiable. */
  let last: 'atom' | 'group' | 'none' = 'none';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || next === 'k'))
        return { ok: false, reason: 'backreferences are not allowed in a regular expression' };
      i++;
      last = 'atom';
      continue;
    }
    if (inClass) {
      if (c === ']') {
        inClass = false;
        last = 'atom';
      }
      continue;
    }
    if (c === '[') {
      inClass = true;
      continue;
    }
    if (c === '(') {
      if (pattern.startsWith('(?=', i) || pattern.startsWith('(?!', i) || pattern.startsWith('(?<=', i) || pattern.startsWith('(?<!', i)) {
        return { ok: false, reason: 'lookahead and lookbehind are not allowed in a regular expression' };
      }
      last = 'none';
      continue;
    }
    if (c === ')') {
      last = 'group';
      continue;
    }
    if (c === '*' || c === '+' || c === '?' || c === '{') {
      let unbounded = c === '*' || c === '+';
      if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
        if (!m) {
          last = 'atom';
          continue;
        } // a literal "{"
        unbounded = m[2] !== undefined && (m[3] === '' || Number(m[3]) > 1);
        i += m[0].length - 1;
      }
      if (last === 'none') continue; // a lazy marker such as "+?"; the syntax itself was checked by the parser
      if (last === 'group')
        return {
          ok: false,
          reason: 'a quantified group is not allowed in a regular expression (its matching time can grow exponentially)',
        };
      if (unbounded) degree++;
      last = 'none';
      continue;
    }
    last = c === '|' || c === '^' || c === '$' ? 'none' : 'atom';
  }
  if (degree > MAX_DEGREE)
    return {
      ok: false,
      reason: `a regular expression may hold at most ${MAX_DEGREE} unbounded quantifiers (its matching time grows as the input length to that power)`,
    };
  return { ok: true, degree };
}
