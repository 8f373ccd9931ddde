/**
 * The user's stack frames as the realm's stack formatter records them (rows of
 * "url\tline\tcolumn\tfunction\tprefix", see run/realm-source/tame-stack.ts), parsed and printed.
 * Shared by what a thrown value becomes on the host (run/thrown.ts) and by the graph, which places
 * an `import()` call at its caller's frame (link/graph.ts).
 */
export interface StackFrame {
  url: string;
  line: number;
  column: number;
  functionName: string;
  /** 'async ' for a frame awaiting, 'new ' for a constructor call, else ''. */
  prefix: string;
}

export function parseFrames(frames: string): StackFrame[] {
  const out: StackFrame[] = [];
  for (const row of frames.split('\n')) {
    if (row === '') continue;
    const [url = '', line = '0', column = '0', functionName = '', prefix = ''] = row.split('\t');
    out.push({
      url,
      line: Number(line),
      column: Number(column),
      functionName,
      prefix: prefix === 'async ' || prefix === 'new ' ? prefix : '',
    });
  }
  return out;
}

export function formatFrames(frames: readonly StackFrame[]): string {
  return frames
    .map((f) => {
      const where = `${f.url}:${f.line}:${f.column}`;
      return `    at ${f.prefix}${f.functionName ? `${f.functionName} (${where})` : where}`;
    })
    .join('\n');
}
