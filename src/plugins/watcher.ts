/**
 * The watcher behind the plugin host, swappable so a dev server can hand in the one it already
 * runs. A watcher only says "something happened at this path"; content hashes (changes.ts) decide
 * whether anything changed, so duplicate events, touches and editors' save dances cost nothing.
 *
 * The default is chokidar: it watches directories (so rename-over, copy-over and
 * truncate-then-write saves are all seen, where a watch on a file's inode loses track after the
 * first rename), and is pure JavaScript since version 4. Node's own recursive `fs.watch` is not
 * used: it misses or misreports events on Linux (nodejs/node#48437, #52018).
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { FSWatcher } from 'chokidar';
import { isInside } from '../resolve/paths.js';

export interface WatchListener {
  /** A file under the watched directory was added, changed or removed (an absolute path). */
  change(path: string): void;
  error(error: Error): void;
}

export interface PluginWatcher {
  /** Report changes of every file under `directory` (recursively) to `listener`; resolves once watching. */
  watch(directory: string, listener: WatchListener): Promise<void>;
  /** Stop reporting; resolves when nothing of the watcher is left open (of what it started itself). */
  close(): Promise<void>;
}

const IGNORED = /(^|[/\\])(node_modules|\.git)([/\\]|$)/;

/** The default watcher: chokidar over the plugin root, `node_modules` and `.git` ignored. */
export function chokidarWatcher(): PluginWatcher {
  let watcher: FSWatcher | undefined;
  return {
    async watch(directory, listener) {
      const { watch } = await import('chokidar');
      const own = watch(directory, { ignoreInitial: true, ignored: (file: string) => IGNORED.test(file.slice(directory.length)) });
      watcher = own;
      own.on('all', (event, file) => {
        if (event === 'add' || event === 'change' || event === 'unlink') listener.change(file);
      });
      own.on('error', (error) => listener.error(error instanceof Error ? error : new Error(String(error))));
      await new Promise<void>((resolve) => own.once('ready', () => resolve()));
    },
    async close() {
      await watcher?.close();
      watcher = undefined;
    },
  };
}

/** What `sharedWatcher` needs of a chokidar-compatible watcher (chokidar 3 to 5, Vite's `server.watcher`). */
export interface SharedWatcherSource {
  add(paths: string): unknown;
  on(event: 'all', listener: (event: string, path: string) => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  off(event: 'all', listener: (event: string, path: string) => void): unknown;
  off(event: 'error', listener: (error: unknown) => void): unknown;
}

/**
 * A watcher over a chokidar-compatible instance someone else owns (Vite's `server.watcher`):
 * it adds the directory and listens, and on close removes its listeners but leaves the instance open.
 */
export function sharedWatcher(shared: SharedWatcherSource): PluginWatcher {
  let detach: (() => void) | undefined;
  return {
    async watch(directory, listener) {
      const onAll = (event: string, reported: string) => {
        if (event !== 'add' && event !== 'change' && event !== 'unlink') return;
        const file = underDirectory(directory, reported);
        if (file !== undefined && !IGNORED.test(file.slice(directory.length))) listener.change(file);
      };
      const onError = (error: unknown) => listener.error(error instanceof Error ? error : new Error(String(error)));
      shared.add(directory);
      shared.on('all', onAll);
      shared.on('error', onError);
      detach = () => {
        shared.off('all', onAll);
        shared.off('error', onError);
      };
    },
    async close() {
      detach?.();
      detach = undefined;
    },
  };
}

/**
 * `reported` as a path under `directory` (a real path), or undefined. A shared watcher reports
 * paths as its owner added them: a dev server whose root is reached through a symlink (macOS's
 * `/tmp`, a linked workspace) reports the linked path. The folder is resolved, not the file, so a
 * deleted file is placed too.
 */
function underDirectory(directory: string, reported: string): string | undefined {
  if (isInside(directory, reported)) return reported;
  try {
    const real = path.join(realpathSync.native(path.dirname(reported)), path.basename(reported));
    return isInside(directory, real) ? real : undefined;
  } catch {
    return undefined;
  }
}
