/**
 * From watcher events to changed files: events are gathered until a quiet period passes, then each
 * path's content hash decides whether it changed. A touch, a duplicate event, or a save that wrote
 * what was there changes nothing; a file read as empty while it had content is read again, since
 * editors that truncate and then write are caught between the two.
 */
import { hash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** The hash of a path that does not exist (or is not a readable file). */
const MISSING = 'missing';
/** Re-reads of a file seen empty, and the pause between them. */
const EMPTY_RETRIES = 3;
const EMPTY_PAUSE_MS = 15;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function contentOf(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch {
    return undefined;
  }
}

const hashOf = (content: Buffer | undefined) => (content === undefined ? MISSING : hash('sha1', content, 'hex'));

export class ChangeTracker {
  private readonly hashes = new Map<string, string>();
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly quietMs: number,
    private readonly onChanged: (files: string[]) => void,
  ) {}

  /** Record the current content of files not seen before (files a new generation loaded). */
  async remember(files: Iterable<string>): Promise<void> {
    for (const file of files) {
      if (!this.hashes.has(file)) this.hashes.set(file, hashOf(await contentOf(file)));
    }
  }

  /** A watcher saw something at `file`: decide after the quiet period. */
  notify(file: string): void {
    if (this.closed) return;
    this.pending.add(file);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.quietMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
  }

  private flush(): void {
    this.timer = undefined;
    // One flush at a time; events meanwhile wait for the next quiet period after it.
    if (this.flushing !== undefined) {
      this.timer = setTimeout(() => this.flush(), this.quietMs);
      return;
    }
    const files = [...this.pending];
    this.pending.clear();
    this.flushing = this.compare(files).then((changed) => {
      this.flushing = undefined;
      if (changed.length > 0 && !this.closed) this.onChanged(changed);
    });
  }

  private async compare(files: string[]): Promise<string[]> {
    const changed: string[] = [];
    for (const file of files) {
      const before = this.hashes.get(file);
      let content = await contentOf(file);
      for (
        let i = 0;
        i < EMPTY_RETRIES && content?.length === 0 && before !== undefined && before !== MISSING && before !== hashOf(content);
        i++
      ) {
        await sleep(EMPTY_PAUSE_MS);
        content = await contentOf(file);
      }
      const after = hashOf(content);
      // A path never seen that is gone again (an editor's temporary file) changed nothing.
      if (after !== (before ?? MISSING)) {
        this.hashes.set(file, after);
        changed.push(file);
      }
    }
    return changed;
  }
}
