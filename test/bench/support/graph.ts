/**
 * Generated module graphs for the benches, written at bench start into a temp directory (never
 * into the repo). Each module looks like ordinary library code: imports of two earlier modules,
 * a class extending an imported one, a loop, a try/catch (so the guard transform has work), a
 * template literal and a default export. Module `m49` reaches all the others, so importing it
 * loads the whole graph. Every module passes the `recommended` policy.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const GRAPH_SIZE = 50;
export const ENTRY = `m${GRAPH_SIZE - 1}.mjs`;

const name = (i: number) => `m${i}.mjs`;

/** Source of module `i`; `salt` goes into a comment, so each salt gives distinct content (and content hash). */
export function moduleSource(i: number, salt: string): string {
  const table = Array.from({ length: 16 }, (_, k) => (i * 31 + k * 7) % 97).join(', ');
  const lines = [`// generated module ${i} (${salt})`];
  if (i === 0) {
    lines.push(
      'export const value = 1;',
      'export class Shape0 {',
      '  constructor(width) { this.width = width; this.kind = "shape0"; }',
      '  area() { return this.width * this.width; }',
      '}',
    );
  } else {
    const a = i - 1;
    const b = Math.max(0, i - 2);
    lines.push(`import { value as va, Shape${a} as Base } from './${name(a)}';`);
    if (b !== a) lines.push(`import { value as vb } from './${name(b)}';`);
    else lines.push('const vb = 0;');
    lines.push(
      `export class Shape${i} extends Base {`,
      `  constructor(width) { super(width); this.kind = 'shape${i}'; }`,
      `  area() { return super.area() + ${i}; }`,
      '}',
      `export const value = (va + vb + ${i}) % 1000;`,
    );
  }
  lines.push(
    `const TABLE = [${table}];`,
    `export function compute${i}(input) {`,
    '  let total = 0;',
    '  for (const n of TABLE) total += n * input;',
    '  try {',
    "    if (total < 0) throw new RangeError('negative total');",
    '  } catch (error) {',
    '    total = error instanceof RangeError ? -total : 0;',
    '  }',
    `  return { total, label: \`m${i}:\${total}\`, parts: TABLE.map((n) => n % 7) };`,
    '}',
    `export default { id: ${i}, compute: compute${i}, describe: () => 'module ${i}' };`,
    '',
  );
  return lines.join('\n');
}

/** Write one copy of the graph into `dir`. */
export function writeGraph(dir: string, salt: string): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < GRAPH_SIZE; i++) writeFileSync(path.join(dir, name(i)), moduleSource(i, salt));
}

export interface GraphSet {
  /** Temp root of everything written. */
  root: string;
  /** One copy of the graph, for warm-cache loads (same files, same URLs, every iteration). */
  shared: string;
  /** `copies[n]`: a copy with content unique to `n` (salted comment), for cold loads and for native `import()`. */
  copies: string[];
  /** File URL of a copy's entry module. */
  entryUrl(dir: string): string;
  dispose(): void;
}

/** Write a shared copy plus `count` distinct copies of the graph into a fresh temp directory. */
export function makeGraphSet(prefix: string, count: number): GraphSet {
  const root = mkdtempSync(path.join(os.tmpdir(), `esm-sandbox-bench-${prefix}-`));
  const shared = path.join(root, 'shared');
  writeGraph(shared, 'shared');
  const copies: string[] = [];
  for (let n = 0; n < count; n++) {
    const dir = path.join(root, `copy-${n}`);
    writeGraph(dir, `copy ${n}`);
    copies.push(dir);
  }
  return {
    root,
    shared,
    copies,
    entryUrl: (dir) => pathToFileURL(path.join(dir, ENTRY)).href,
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}
