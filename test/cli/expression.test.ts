/**
 * `esm-sandbox eval` and `esm-sandbox render`, through the CLI's `main` with captured output, on
 * the files under fixtures/expressions/.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

const fixtures = fileURLToPath(new URL('../../fixtures/expressions/', import.meta.url));

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t), color: false, importModule: (url) => import(url) });
  return { status, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('esm-sandbox eval', () => {
  it('prints the value, as JSON with --json', async () => {
    expect(await cli('eval', 'user.age * 2', '--scope', `${fixtures}scope.json`)).toEqual({ status: 0, stdout: '72', stderr: '' });
    const json = await cli('eval', 'items.map(i => ({ n: i.name }))', '--scope', `${fixtures}scope.json`, '--json');
    expect(JSON.parse(json.stdout)).toEqual([{ n: 'pen' }, { n: 'ink' }]);
  });

  it('a refused expression exits 1 with the code and the frame', async () => {
    const result = await cli('eval', 'user.constructor');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('ERR_SANDBOX_EXPRESSION_REFUSED');
    expect(result.stderr).toContain('> 1 | user.constructor');
  });

  it('the budget flag', async () => {
    const result = await cli('eval', '"x".repeat(100)', '--budget', '50');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('ERR_SANDBOX_BUDGET');
    expect((await cli('eval', '1', '--budget', 'lots')).status).toBe(2);
  });

  it('bad usage exits 2', async () => {
    expect((await cli('eval')).status).toBe(2);
    expect((await cli('eval', '1', '--scope', `${fixtures}missing.json`)).status).toBe(2);
  });
});

describe('esm-sandbox render', () => {
  it('renders with HTML escaping by default, or none', async () => {
    const html = await cli('render', `${fixtures}invoice.html`, '--scope', `${fixtures}scope.json`);
    expect(html.status).toBe(0);
    expect(html.stdout).toBe('<h1>Ada &lt;admin&gt;</h1>\n<p>ink</p>\n');
    const raw = await cli('render', `${fixtures}invoice.html`, '--scope', `${fixtures}scope.json`, '--escape', 'none');
    expect(raw.stdout).toContain('<h1>Ada <admin></h1>');
  });

  it('an error points at the line of the template', async () => {
    const result = await cli('render', `${fixtures}broken.html`);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('(at 2:12)');
    expect(result.stderr).toContain('> 2 | <p>{{ user.constructor }}</p>');
  });
});
