/** Every policy rule, in the order diagnostics of equal position are reported. */
import type { RuleDefinition } from '../rule.js';
import { noBuiltinPrototypeWrite } from './no-builtin-prototype-write.js';
import { noBuiltinWrite } from './no-builtin-write.js';
import { noCodeGeneration } from './no-code-generation.js';
import { noComputedImport } from './no-computed-import.js';
import { noComputedMember } from './no-computed-member.js';
import { noConstructorChain } from './no-constructor-chain.js';
import { noDebugger } from './no-debugger.js';
import { noDisallowedImport } from './no-disallowed-import.js';
import { noHostGlobals } from './no-host-globals.js';
import { noProtoAccess } from './no-proto-access.js';
import { noStackTraceApi } from './no-stack-trace-api.js';
import { noUnknownImportMeta } from './no-unknown-import-meta.js';

export const rules: readonly RuleDefinition[] = Object.freeze([
  noConstructorChain,
  noProtoAccess,
  noBuiltinPrototypeWrite,
  noBuiltinWrite,
  noStackTraceApi,
  noHostGlobals,
  noCodeGeneration,
  noComputedImport,
  noDisallowedImport,
  noUnknownImportMeta,
  noDebugger,
  noComputedMember,
]);
