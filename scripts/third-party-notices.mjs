/**
 * The license notices of the third-party code the build bundles (scripts/bundle-worker.mjs): the
 * MIT license and its kin ask that the notice travel with every copy. The packages are those of
 * the modules rolldown put in each bundle, and rolldown itself for the runtime helpers it adds;
 * each notice is the text of the package's own license files. They go into one file beside the
 * bundles, never into them: the bundles are read and compiled on the CLI's startup path, and must
 * stay ASCII.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const LICENSE_FILE = /^(licen[cs]e|copying|notice)([.-].*)?$/i;
const RULE = '='.repeat(78);

/** The package a module id belongs to: its name and directory, or undefined for first-party code. */
function packageOf(id) {
  // rolldown's own runtime helpers have a virtual id (`\0rolldown/runtime.js`).
  if (id.startsWith('\0rolldown/'))
    return { name: 'rolldown', dir: packageDir(fileURLToPath(import.meta.resolve('rolldown')), 'rolldown') };
  const file = id.replaceAll('\\', '/');
  const at = file.lastIndexOf('/node_modules/');
  if (at < 0) return undefined;
  const parts = file.slice(at + '/node_modules/'.length).split('/');
  const name = parts.slice(0, parts[0].startsWith('@') ? 2 : 1).join('/');
  return { name, dir: path.normalize(`${file.slice(0, at)}/node_modules/${name}`) };
}

/** The directory of package `name` holding `file` (its own folders may hold manifests of other names). */
function packageDir(file, name) {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      if (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name === name) return dir;
    } catch {
      // no manifest here
    }
  }
  throw new Error(`third-party-notices: no package.json of ${name} above ${file}`);
}

/** One package's notice: its name, version and declared license, then each license file it ships. */
function noticeOf(name, dir, bundles) {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const files = readdirSync(dir)
    .filter((file) => LICENSE_FILE.test(file))
    .sort();
  const head = [RULE, `${name} ${manifest.version} (${manifest.license ?? 'license not declared'})`, `In: ${bundles.join(', ')}`];
  if (files.length === 0) {
    console.warn(`third-party-notices: ${name} ships no license file; only its declared license is named`);
    return [...head, RULE, `(The package ships no license file; its package.json declares ${manifest.license ?? 'none'}.)`].join('\n');
  }
  return [...head, ...files.flatMap((file) => [RULE, readFileSync(path.join(dir, file), 'utf8').trimEnd()])].join('\n');
}

/**
 * Write `file`: the notices of every package whose code is in one of `bundles` (a map from a
 * bundle's file name to the ids of the modules in it).
 */
export function writeNotices(file, bundles) {
  const packages = new Map();
  for (const [bundle, ids] of bundles) {
    for (const id of ids) {
      const found = packageOf(id);
      if (found === undefined) continue;
      const entry = packages.get(found.name) ?? { dir: found.dir, bundles: new Set() };
      entry.bundles.add(bundle);
      packages.set(found.name, entry);
    }
  }
  const names = [...packages.keys()].sort();
  const text = [
    'esm-sandbox: third-party notices',
    '',
    `The bundles ${[...bundles.keys()].join(' and ')} hold code of the packages below (the`,
    'rest of dist/ imports them from node_modules). Each is named with its version and license,',
    'followed by the license files it ships.',
    ...names.map((name) => `\n${noticeOf(name, packages.get(name).dir, [...packages.get(name).bundles])}`),
    '',
  ].join('\n');
  writeFileSync(file, text);
  return names;
}
