/**
 * `esm-sandbox eval '<expression>' [--scope data.json] [--json] [--budget n]` and
 * `esm-sandbox render <template-file> [--scope data.json] [--escape html|none] [--budget n]`:
 * the expression engine (src/expression/) on a JSON scope, no module sandbox involved.
 */
import { readFile } from 'node:fs/promises';
import { compileExpression } from '../expression/compile.js';
import { compileTemplate } from '../expression/template.js';
import { UsageError, type Io } from './flags.js';
import { show, toJson } from './output.js';

export interface ExpressionFlags {
  scope?: string;
  json?: boolean;
  budget?: string;
  escape?: string;
}

export async function evaluateCommand(source: string, flags: ExpressionFlags, io: Io): Promise<number> {
  const expr = compileExpression(source, { budget: budgetFlag(flags.budget) });
  const value = expr(await scopeFile(flags.scope));
  io.out(flags.json ? toJson(value) : show(value, io.color));
  return 0;
}

export async function renderCommand(file: string, flags: ExpressionFlags, io: Io): Promise<number> {
  const escape = flags.escape === undefined || flags.escape === 'html' ? 'html' : flags.escape === 'none' ? false : undefined;
  if (escape === undefined) throw new UsageError(`--escape must be html or none, not "${flags.escape}"`);
  const text = await readFile(file, 'utf8');
  const template = compileTemplate(text, { escape, budget: budgetFlag(flags.budget) });
  io.out(template(await scopeFile(flags.scope)));
  return 0;
}

async function scopeFile(file: string | undefined): Promise<Record<string, unknown>> {
  if (file === undefined) return {};
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--scope ${file}: ${(error as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new UsageError(`--scope ${file}: the JSON must be an object`);
  return data as Record<string, unknown>;
}

function budgetFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const budget = Number(value);
  if (!Number.isInteger(budget) || budget < 0) throw new UsageError(`--budget must be a whole number ≥ 0, not "${value}"`);
  return budget;
}
