/**
 * Realm source: FinalizationRegistry cleanup callbacks run whenever the engine collects, outside
 * any turn and so outside any watchdog: a looping one would hang the host. The realm's
 * constructor wraps each callback so that collection only queues a timer, and the callback runs
 * later as a bounded turn. The native constructor stays reachable (as the prototype's
 * 'constructor'), but a registry it made cannot register anything, so its callback never runs.
 *
 * The prototype's 'constructor' is left alone on purpose: Node 20's V8 walks every live context
 * on each write to a prototype's 'constructor' (species protectors; Node 24's does not), contexts
 * that held a module are never freed, and so every new sandbox paid for all the old ones (0.03 ms
 * at first, 0.5 ms after 3,000). See docs/ARCHITECTURE.md, section 9.
 *
 * In scope: g, R, apply, defineProperty, WeakSetCtor, WeakSetAdd, WeakSetHas, TypeErrorCtor,
 * addTimer, hide.
 */
export const TAME_FINALIZATION_SOURCE = String.raw`
{
  const NativeRegistry = g.FinalizationRegistry;
  if (typeof NativeRegistry === 'function') {
    const construct = R.construct;
    const registryPrototype = NativeRegistry.prototype, nativeRegister = registryPrototype.register;
    const ours = new WeakSetCtor();
    const FinalizationRegistry = function FinalizationRegistry(cleanup) {
      if (new.target === undefined) throw new TypeErrorCtor("Constructor FinalizationRegistry requires 'new'");
      if (typeof cleanup !== 'function') throw new TypeErrorCtor('FinalizationRegistry: cleanup must be callable');
      const registry = construct(NativeRegistry, [(held) => { addTimer(cleanup, 0, [held], false); }], new.target);
      apply(WeakSetAdd, ours, [registry]);
      return registry;
    };
    defineProperty(FinalizationRegistry, 'prototype', { __proto__: null, value: registryPrototype, writable: false, enumerable: false, configurable: false });
    hide(registryPrototype, 'register', { register(target, held) {
      if (!apply(WeakSetHas, ours, [this])) throw new TypeErrorCtor('FinalizationRegistry.prototype.register: this registry was not made by the global FinalizationRegistry');
      return apply(nativeRegister, this, [target, held, arguments[2]]);
    } }.register);
    hide(g, 'FinalizationRegistry', FinalizationRegistry);
  }
}
`;
