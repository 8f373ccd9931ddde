/**
 * The sandbox-side half of a realm, assembled. This source runs once in every new context, before
 * any user code, and returns the kit the host uses to build values and enter turns. Each concern
 * is one fragment of this folder, in the style of SES's one `tame-*` step per hardening concern;
 * they share one closure, so each fragment's header says what it uses from the ones before it and
 * what it defines. The order below is the order of definition.
 *
 * Rules this code keeps (it runs in the realm the user controls afterwards):
 * - it captures every intrinsic it needs up front and calls them with `apply`, so later
 *   changes to prototypes by user code do not reach it;
 * - kit functions the host may call outside a turn run no user code: they only create
 *   fresh objects and define own data properties;
 * - anything that can run user code (calls, thenables, getters) runs inside `turn()`;
 * - no host object is ever stored where user code can reach it: the host entry lives only
 *   in this closure, and its results are sandbox values built by the host through the kit;
 * - it never writes a prototype's `constructor` (docs/ARCHITECTURE.md, section 9), except where
 *   memory-cap.ts must, for sandboxes with a memory limit.
 *
 * The web globals (web-*.ts) come after the memory cap, so that what they allocate for the user is
 * counted, and are installed lazily (web-base.ts): they cost a realm that never uses them little.
 *
 * Numbers and names shared with the host come from realm-protocol.ts and constants.ts, interpolated
 * here, never retyped. It is kept as source text (not a compiled function's `toString()`) so that
 * no test transform or coverage tool can inject references to host helpers into it.
 */
import { GUARD_NAME, METER_REFILL_NAME, TURN_NAME } from '../../constants.js';
import { CATCH_GUARD_SOURCE } from './catch-guard.js';
import { COMMONJS_SOURCE } from './commonjs.js';
import { CONSOLE_SOURCE } from './console.js';
import { HOST_ENTRY_SOURCE } from './host-entry.js';
import { INTRINSICS_SOURCE } from './intrinsics.js';
import { KIT_SOURCE } from './kit.js';
import { GLOBAL_DETECTION_SOURCE } from './global-detection.js';
import { PROCESS_SHIM_SOURCE } from './process-shim.js';
import { ALLOCATION_CAP_SOURCE } from './memory-cap.js';
import { METER_SOURCE } from './meter.js';
import { TAME_BIGINT_SOURCE } from './tame-bigint.js';
import { TAME_FINALIZATION_SOURCE } from './tame-finalization.js';
import { TAME_REGEXP_SOURCE } from './tame-regexp.js';
import { TAME_STACK_SOURCE } from './tame-stack.js';
import { TIMERS_SOURCE } from './timers.js';
import { TURNS_SOURCE } from './turns.js';
import { WEB_BASE_SOURCE } from './web-base.js';
import { WEB_CLONE_SOURCE } from './web-clone.js';
import { WEB_EVENTS_SOURCE } from './web-events.js';
import { WEB_PLATFORM_SOURCE } from './web-platform.js';
import { WEB_TEXT_SOURCE } from './web-text.js';
import { WEB_URL_SOURCE } from './web-url.js';

export const BOOTSTRAP_FILENAME = 'esm-sandbox:realm';

/**
 * A function expression of (host entry, console levels joined by ',', allocation cap in bytes per
 * turn or 0, metered: the realm's modules are metered) returning the kit. Nothing here depends on
 * which sandbox adopts the realm but the allocation cap and metering, so realms are made ahead of
 * need (run/warm-realms.ts); what is per sandbox and must exist before user code runs (the
 * `process` shim, global detection) the kit installs after adoption.
 */
export const BOOTSTRAP_SOURCE = [
  `(function bootstrap(host, consoleLevels, ALLOCATION_CAP, METERED) {\n'use strict';`,
  INTRINSICS_SOURCE,
  HOST_ENTRY_SOURCE,
  METER_SOURCE,
  `lock(g, '${METER_REFILL_NAME}', refill);`,
  CATCH_GUARD_SOURCE,
  TAME_REGEXP_SOURCE,
  TAME_STACK_SOURCE,
  TIMERS_SOURCE,
  TAME_FINALIZATION_SOURCE,
  ALLOCATION_CAP_SOURCE,
  CONSOLE_SOURCE,
  PROCESS_SHIM_SOURCE,
  GLOBAL_DETECTION_SOURCE,
  WEB_BASE_SOURCE,
  WEB_TEXT_SOURCE,
  WEB_URL_SOURCE,
  WEB_EVENTS_SOURCE,
  WEB_CLONE_SOURCE,
  WEB_PLATFORM_SOURCE,
  COMMONJS_SOURCE,
  // After the web globals, whose bootstrap reads BigInt.prototype once.
  TAME_BIGINT_SOURCE,
  `lock(g, '${GUARD_NAME}', guard);`,
  TURNS_SOURCE,
  `lock(g, '${TURN_NAME}', turn);`,
  KIT_SOURCE,
  '})',
].join('');
