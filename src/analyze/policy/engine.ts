/**
 * The policy engine: turns options into the set of active rules once, then checks each
 * module's already-parsed tree in a single walk that dispatches node types to those rules.
 */
import type { AnyNode, Node, Program } from 'acorn';
import { codeFrame, locate } from '../../errors/frame.js';
import { rememberSource } from './format.js';
import { presets } from './presets.js';
import type { NodeType, RuleContext, RuleDefinition } from './rule.js';
import { rules } from './rules/index.js';
import { lookup } from './scope.js';
import type { Diagnostic, PolicyEnvironment, PolicyOptions, PresetName, Severity } from './types.js';
import { type DispatchTable, type Handler, Walker } from './walker.js';

export { formatDiagnostic } from './format.js';

/** Options checked and merged with their preset; build it once per sandbox, use it for every module. */
export interface ResolvedPolicy {
  readonly preset: PresetName;
  /** Effective severity of every known rule. */
  readonly rules: Readonly<Record<string, Severity>>;
  /** The rules that are not off, in the order of `rules`. */
  readonly active: ReadonlyArray<{ readonly rule: RuleDefinition; readonly severity: Exclude<Severity, 'off'> }>;
  /** Handlers of the active rules by node type. */
  readonly dispatch: DispatchTable;
}

/**
 * Reported when a module nests deeper than the walk's stack allows. Always an error: a module
 * that could not be analysed must not pass as clean.
 */
export const ANALYSIS_LIMIT = 'analysis-limit';

const SEVERITIES: ReadonlySet<unknown> = new Set(['off', 'warn', 'error']);
const byId: ReadonlyMap<string, RuleDefinition> = new Map(rules.map((rule) => [rule.id, rule]));

const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

/** Validate options and merge them over their preset. Throws a TypeError naming any unknown rule, preset or severity. */
export function resolvePolicy(options: PolicyOptions = {}): ResolvedPolicy {
  if (typeof options !== 'object' || options === null) throw new TypeError(`policy must be an object (or false), got ${show(options)}`);
  const preset = options.preset ?? 'recommended';
  if (!Object.hasOwn(presets, preset)) {
    throw new TypeError(`Unknown policy preset ${show(preset)}: expected one of ${Object.keys(presets).map(show).join(', ')}`);
  }
  const severities: Record<string, Severity> = { ...presets[preset] };
  const overrides: unknown = options.rules ?? {};
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    throw new TypeError(`policy.rules must be an object of rule id to severity, got ${show(overrides)}`);
  }
  for (const [id, severity] of Object.entries(overrides)) {
    if (!byId.has(id)) throw new TypeError(`Unknown policy rule ${show(id)}; known rules: ${[...byId.keys()].join(', ')}`);
    if (!SEVERITIES.has(severity)) {
      throw new TypeError(`Invalid severity ${show(severity)} for policy rule ${show(id)}: expected "off", "warn" or "error"`);
    }
    severities[id] = severity as Severity;
  }
  const active = rules.flatMap((rule) => {
    const severity = severities[rule.id];
    return severity === undefined || severity === 'off' ? [] : [{ rule, severity }];
  });
  return Object.freeze({ preset, rules: Object.freeze(severities), active: Object.freeze(active), dispatch: buildDispatch(active) });
}

function buildDispatch(active: ResolvedPolicy['active']): DispatchTable {
  const table = new Map<NodeType, Array<{ rule: number; handler: Handler }>>();
  active.forEach(({ rule }, index) => {
    for (const [type, handler] of Object.entries(rule.visitor) as Array<[NodeType, Handler]>) {
      // The visitor's keys are node types, so each handler only ever receives nodes of its own type.
      const entries = table.get(type) ?? [];
      entries.push({ rule: index, handler });
      table.set(type, entries);
    }
  });
  return table;
}

/**
 * Check one module. `program` is the tree `parseModule` already built for the loader; the
 * source is only read for code frames, which are computed when first read, so a module with
 * thousands of findings costs no more than one with none until someone prints them.
 */
export function checkModule(program: Program, source: string, url: string, policy: ResolvedPolicy, env: PolicyEnvironment): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  if (policy.active.length === 0) return diagnostics;
  const walker = new Walker(policy.dispatch);
  const emit = (ruleId: string, severity: Diagnostic['severity'], node: Node, message: string) =>
    diagnostics.push(makeDiagnostic(ruleId, severity, message, url, source, node));
  walker.contexts = policy.active.map(({ rule, severity }) =>
    ruleContext(walker, env, rule, (node, message) => emit(rule.id, severity, node, message)),
  );
  try {
    walker.walk(program);
  } catch (error) {
    // Stack exhaustion: acorn guards its own recursion, but its iterative member chains can nest deeper than ours.
    if (!(error instanceof RangeError)) throw error;
    const at = walker.stack.at(-1) ?? program;
    emit(ANALYSIS_LIMIT, 'error', at, `The module nests too deeply to be analysed (${error.message})`);
  }
  return diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
}

function ruleContext(
  walker: Walker,
  env: PolicyEnvironment,
  rule: RuleDefinition,
  emit: (node: Node, message: string) => void,
): RuleContext<string> {
  const { stack, scopes } = walker;
  return {
    env,
    ancestor: (depth) => stack[stack.length - 1 - depth],
    isFree: (name) => lookup(scopes, name) === undefined,
    declaringScope: (name) => lookup(scopes, name)?.node,
    report(node, messageId, data) {
      const template = rule.messages[messageId] ?? messageId;
      emit(node, data ? template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => data[key] ?? whole) : template);
    },
  };
}

function makeDiagnostic(
  ruleId: string,
  severity: Diagnostic['severity'],
  message: string,
  file: string,
  source: string,
  node: Node | AnyNode,
): Diagnostic {
  const start = node.loc?.start ?? locate(source, node.start);
  const end = node.loc?.end ?? locate(source, node.end);
  let frame: string | undefined;
  // acorn's columns are 0-based; a Diagnostic's are 1-based like every `file:line:col` (ESLint's convention).
  const location = { line: start.line, column: start.column + 1, endLine: end.line, endColumn: end.column + 1 };
  const diagnostic = { ruleId, severity, message, file, ...location } as Diagnostic;
  Object.defineProperty(diagnostic, 'frame', {
    enumerable: true,
    configurable: true,
    get: () => (frame ??= codeFrame(source, start.line, start.column, { endLine: end.line, endColumn: end.column })),
  });
  rememberSource(diagnostic, source);
  return diagnostic;
}
