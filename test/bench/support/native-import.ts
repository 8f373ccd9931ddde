/**
 * The real `import()` of Node's own loader. vitest runs test files through its module runner
 * (which rewrites `import()` and transforms through Vite), so a baseline written as
 * `await import(url)` would measure vitest, not Node. Compiled with Node's default loader as its
 * dynamic-import handler, this is the `import()` a plain Node program gets.
 */
import vm from 'node:vm';

export const nativeImport = vm.compileFunction('return import(url)', ['url'], {
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
}) as (url: string) => Promise<Record<string, unknown>>;
