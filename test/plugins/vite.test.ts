/**
 * A real Vite dev server in middleware mode on a node:http server, running sandboxed user plugins
 * through `esm-sandbox/vite`: edits reload them without restarting Vite, broken edits keep the last
 * good version and reach the browser overlay through the HMR socket.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { build, createServer, type Plugin, type Rollup } from 'vite';
import { afterEach, describe, expect, it } from 'vitest';
import sandboxPlugins from '../../src/plugins/vite.js';
import type { RolledBackEvent } from '../../src/index.js';
import { pluginDir, renameOver, until } from './support.js';
import { connectWs, type WsClient } from './ws-client.js';

const api = (v: string, extra = '') =>
  `${extra}export function handle(request) {\n  if (request.url === '/api/version') return { status: 200, headers: { 'content-type': 'text/plain' }, body: '${v}' };\n}\n`;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function get(port: number, url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${url}`);
  return { status: response.status, body: await response.text() };
}

describe('esm-sandbox/vite in a real Vite dev server', () => {
  it('serves v1, reloads to v2 on a rename-over save, and keeps v2 through three broken saves', async () => {
    const root = pluginDir({
      'index.html': '<!doctype html><title>t</title>',
      'plugins/api.mjs': api('v1'),
      'plugins/upper/index.mjs':
        "export function transform(code, id) {\n  if (id.endsWith('shout.js')) return code.replace('quiet', 'LOUD');\n}\n",
      'src/shout.js': "export const word = 'quiet';\n",
    });
    let configured = 0;
    const counter: Plugin = {
      name: 'count',
      configureServer() {
        configured++;
      },
    };
    const sandboxed = sandboxPlugins({ dir: 'plugins' });
    const httpServer = http.createServer();
    const vite = await createServer({
      root,
      configFile: false,
      logLevel: 'silent',
      appType: 'custom',
      clearScreen: false,
      server: { middlewareMode: true, ws: { server: httpServer } },
      plugins: [counter, sandboxed],
    });
    cleanups.push(
      () => new Promise<void>((resolve) => httpServer.close(() => resolve())),
      () => vite.close(),
    );
    httpServer.on('request', (req, res) =>
      vite.middlewares(req, res, () => {
        res.statusCode = 404;
        res.end('none');
      }),
    );
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const { port } = httpServer.address() as AddressInfo;

    expect(await get(port, '/api/version')).toEqual({ status: 200, body: 'v1' });
    expect((await get(port, '/src/shout.js')).body).toContain('LOUD');
    const ws: WsClient = await connectWs(port, 'vite-hmr');
    cleanups.push(() => ws.close());
    await until(() => ws.messages.some((m) => m.type === 'connected'), 5_000, 'the HMR socket');

    const host = sandboxed.host!;
    const rolled: RolledBackEvent[] = [];
    host.on('rolled-back', (event) => rolled.push(event));
    renameOver(root, 'plugins/api.mjs', api('v2'));
    await until(async () => (await get(port, '/api/version')).body === 'v2', 10_000, 'v2');
    await until(() => ws.messages.some((m) => m.type === 'custom' && m.event === 'esm-sandbox:reloaded'), 5_000, 'the update event');
    expect(sandboxed.host).toBe(host);
    expect(configured).toBe(1);

    const broken: Array<[string, string]> = [
      ['syntax', 'export function handle( {\n'],
      ['policy', api('v3', "import { readFileSync } from 'node:fs';\n")],
      ['activate', api('v3', "export function activate() {\n  throw new Error('not today');\n}\n")],
    ];
    for (const [phase, source] of broken) {
      const errorsBefore = ws.messages.filter((m) => m.type === 'error').length;
      renameOver(root, 'plugins/api.mjs', source);
      await until(() => rolled.length > 0 && rolled.at(-1)!.phase === phase, 10_000, `rollback at ${phase}`);
      expect(await get(port, '/api/version')).toEqual({ status: 200, body: 'v2' });
      await until(() => ws.messages.filter((m) => m.type === 'error').length > errorsBefore, 5_000, 'the overlay error');
      const overlay = ws.messages.filter((m) => m.type === 'error').at(-1)!.err as {
        message: string;
        loc?: { file: string; line: number };
      };
      expect(overlay.message).toContain(`[${phase}]`);
      expect(overlay.loc?.file).toBe(`${root}/plugins/api.mjs`);
    }
    expect(rolled.map((event) => event.phase)).toEqual(['syntax', 'policy', 'activate']);
    expect(configured).toBe(1);
  });

  it('vite build runs the sandboxed resolveId, load and transform hooks, and closes the host after', async () => {
    const root = pluginDir({
      'plugins/virtual.mjs':
        "export const resolveId = (source) => source === 'virtual:answer' ? '\\0virtual:answer' : null;\nexport const load = (id) => id === '\\0virtual:answer' ? 'export const answer = 42;' : null;\n",
      'plugins/upper.mjs':
        "export function transform(code, id) {\n  if (id.endsWith('shout.js')) return { code: code.replace('quiet', 'LOUD') };\n}\n",
      'src/shout.js': "import { answer } from 'virtual:answer';\nexport const word = 'quiet' + answer;\n",
    });
    const sandboxed = sandboxPlugins({ dir: 'plugins', watch: false });
    const output = (await build({
      root,
      configFile: false,
      logLevel: 'silent',
      build: { write: false, minify: false, lib: { entry: 'src/shout.js', formats: ['es'], fileName: 'shout' } },
      plugins: [sandboxed],
    })) as Rollup.RollupOutput | Rollup.RollupOutput[];
    const chunks = (Array.isArray(output) ? output : [output])
      .flatMap((o) => o.output)
      .filter((o): o is Rollup.OutputChunk => o.type === 'chunk');
    const code = chunks.map((c) => c.code).join('\n');
    expect(code).toContain('LOUD');
    expect(code).toContain('42');
    expect(sandboxed.host).toBeUndefined();
  });
});
