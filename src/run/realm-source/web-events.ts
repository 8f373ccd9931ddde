/**
 * Realm source: `Event`, `CustomEvent`, `EventTarget`, `AbortSignal` and `AbortController`, as the
 * DOM Standard has them for targets outside any tree (no capture or bubbling path: a dispatch
 * reaches the target's own listeners). Listeners are the user's functions, called from here as
 * their own metered code; one that throws does not stop the others: its error is reported as an
 * unhandled rejection of the realm (to the sandbox's `onError`), where a browser reports it to
 * `window.onerror`. `AbortSignal.timeout` uses the realm's timers (a bounded timer turn).
 *
 * In scope: web-base.ts, apply, callHost, addTimer, guard, exhausted, EXHAUSTED, PromiseThen,
 * resolved, TypeErrorCtor.
 * Defines: the makers of Event, CustomEvent, EventTarget, AbortSignal and AbortController.
 */
import { HostOp } from '../../realm-protocol.js';

export const WEB_EVENTS_SOURCE = String.raw`
let eventsGroup;
function makeEvents() {
  if (eventsGroup !== undefined) return eventsGroup;
  // Reported the way an uncaught error of a timer is: an unhandled rejection of the realm.
  const report = (e) => { apply(PromiseThen, resolved, [() => { throw e; }]); };
  const flag = (options, key) => (isObject(options) ? !!options[key] : false);

  let beginDispatch, endDispatch, inPassive, stoppedNow, isEvent, eventType;
  class Event {
    #type; #bubbles = false; #cancelable = false; #composed = false; #time;
    #target = null; #current = null; #phase = 0; #canceled = false; #stop = false; #stopNow = false; #passive = false; #dispatching = false;
    static {
      isEvent = (e) => isObject(e) && #type in e;
      eventType = (e) => e.#type;
      beginDispatch = (e, target) => {
        if (e.#dispatching) throw domError('The event is already being dispatched', 'InvalidStateError');
        e.#dispatching = true; e.#target = target; e.#current = target; e.#phase = 2;
      };
      endDispatch = (e) => { e.#dispatching = false; e.#current = null; e.#phase = 0; e.#stop = false; e.#stopNow = false; return !e.#canceled; };
      inPassive = (e, passive) => { e.#passive = passive; };
      stoppedNow = (e) => e.#stopNow;
    }
    constructor(type, init = undefined) {
      if (arguments.length < 1) throw new TypeErrorCtor('The "type" argument must be specified');
      this.#type = toStr(type);
      if (init !== undefined && init !== null) {
        if (!isObject(init)) throw new TypeErrorCtor('Event: the init argument must be an object');
        this.#bubbles = !!init.bubbles; this.#cancelable = !!init.cancelable; this.#composed = !!init.composed;
      }
      this.#time = callHost(${HostOp.Now});
    }
    get type() { return this.#type; }
    get target() { return this.#target; }
    get srcElement() { return this.#target; }
    get currentTarget() { return this.#current; }
    get eventPhase() { return this.#phase; }
    get bubbles() { return this.#bubbles; }
    get cancelable() { return this.#cancelable; }
    get composed() { return this.#composed; }
    get defaultPrevented() { return this.#canceled; }
    get isTrusted() { return false; }
    get timeStamp() { return this.#time; }
    get returnValue() { return !this.#canceled; }
    set returnValue(value) { if (!value) this.preventDefault(); }
    get cancelBubble() { return this.#stop; }
    set cancelBubble(value) { if (value) this.#stop = true; }
    preventDefault() { if (this.#cancelable && !this.#passive) this.#canceled = true; }
    stopPropagation() { this.#stop = true; }
    stopImmediatePropagation() { this.#stop = true; this.#stopNow = true; }
    composedPath() { return this.#dispatching ? [this.#current] : []; }
  }
  const phases = ['NONE', 'CAPTURING_PHASE', 'AT_TARGET', 'BUBBLING_PHASE'];
  for (let i = 0; i < phases.length; i++) { lockData(Event, phases[i], i); lockData(Event.prototype, phases[i], i); }
  tagClass(Event, 'Event');

  class CustomEvent extends Event {
    #detail = null;
    constructor(type, init = undefined) {
      super(type, init);
      if (isObject(init) && init.detail !== undefined) this.#detail = init.detail;
    }
    get detail() { return this.#detail; }
  }
  tagClass(CustomEvent, 'CustomEvent');

  let addListener, remove, dispatch, isSignal, isAborted, onAbortSignal;
  class EventTarget {
    #listeners = null;   // Map: type -> null-prototype list of { callback, capture, once, passive, removed }
    static {
      addListener = (target, type, callback, capture, once, passive) => {
        if (target.#listeners === null) target.#listeners = new MapCtor();
        let list = apply(MapGet, target.#listeners, [type]);
        if (list === undefined) { list = nullList(); apply(MapSet, target.#listeners, [type, list]); }
        for (let i = 0; i < list.length; i++) if (list[i].callback === callback && list[i].capture === capture) return undefined;
        const record = { __proto__: null, callback, capture, once, passive, removed: false };
        list[list.length] = record;
        return record;
      };
      remove = (target, type, record) => {
        const list = target.#listeners === null ? undefined : apply(MapGet, target.#listeners, [type]);
        if (list === undefined) return;
        record.removed = true;
        const kept = nullList();
        for (let i = 0; i < list.length; i++) if (list[i] !== record) kept[kept.length] = list[i];
        apply(MapSet, target.#listeners, [type, kept]);
      };
      dispatch = (target, event) => {
        beginDispatch(event, target);
        let notCanceled = true;
        const type = eventType(event);
        try {
          const list = target.#listeners === null ? undefined : apply(MapGet, target.#listeners, [type]);
          if (list !== undefined) {
            // The listeners when the dispatch began; one removed meanwhile is skipped.
            for (let i = 0; i < list.length; i++) {
              const record = list[i];
              if (record.removed) continue;
              if (record.once) remove(target, type, record);
              inPassive(event, record.passive);
              try {
                const callback = record.callback;
                if (typeof callback === 'function') apply(callback, target, [event]);
                else {
                  const handle = callback.handleEvent;
                  if (typeof handle !== 'function') throw new TypeErrorCtor("The listener's handleEvent is not a function");
                  apply(handle, callback, [event]);
                }
              } catch (e) {
                report(guard(e));
              }
              inPassive(event, false);
              if (stoppedNow(event)) break;
            }
          }
        } finally {
          notCanceled = endDispatch(event);
        }
        return notCanceled;
      };
    }
    addEventListener(type, callback, options = undefined) {
      if (arguments.length < 2) throw new TypeErrorCtor('EventTarget.addEventListener: 2 arguments required');
      const name = toStr(type);
      const capture = typeof options === 'boolean' ? options : flag(options, 'capture');
      const once = flag(options, 'once'), passive = flag(options, 'passive');
      const signal = isObject(options) ? options.signal : undefined;
      if (signal !== undefined && !isSignal(signal)) throw new TypeErrorCtor('EventTarget.addEventListener: options.signal must be an AbortSignal');
      if (callback === null || callback === undefined) return;
      if (!isObject(callback)) throw new TypeErrorCtor('EventTarget.addEventListener: the listener must be a function or an object');
      if (signal !== undefined && isAborted(signal)) return;
      const record = addListener(this, name, callback, capture, once, passive);
      if (record !== undefined && signal !== undefined) onAbortSignal(signal, () => remove(this, name, record));
    }
    removeEventListener(type, callback, options = undefined) {
      if (arguments.length < 2) throw new TypeErrorCtor('EventTarget.removeEventListener: 2 arguments required');
      const name = toStr(type);
      const capture = typeof options === 'boolean' ? options : flag(options, 'capture');
      const list = this.#listeners === null ? undefined : apply(MapGet, this.#listeners, [name]);
      if (list === undefined) return;
      for (let i = 0; i < list.length; i++) {
        if (list[i].callback === callback && list[i].capture === capture) { remove(this, name, list[i]); return; }
      }
    }
    dispatchEvent(event) {
      if (!isEvent(event)) throw new TypeErrorCtor('EventTarget.dispatchEvent: the argument must be an Event');
      return dispatch(this, event);
    }
  }
  tagClass(EventTarget, 'EventTarget');

  const token = ObjectCreate(null);
  let signalAbort, newSignal;
  class AbortSignal extends EventTarget {
    #aborted = false; #reason = undefined; #algorithms = null; #dependents = null; #handler = null; #handlerAdded = false;
    static {
      isSignal = (s) => isObject(s) && #aborted in s;
      isAborted = (s) => s.#aborted;
      newSignal = () => new AbortSignal(token);
      onAbortSignal = (s, algorithm) => {
        if (s.#algorithms === null) s.#algorithms = nullList();
        s.#algorithms[s.#algorithms.length] = algorithm;
      };
      signalAbort = (s, reason) => {
        if (s.#aborted) return;
        s.#aborted = true;
        s.#reason = reason === undefined ? domError('This operation was aborted', 'AbortError') : reason;
        const algorithms = s.#algorithms, dependents = s.#dependents;
        s.#algorithms = null; s.#dependents = null;
        if (algorithms !== null) for (let i = 0; i < algorithms.length; i++) algorithms[i]();
        dispatch(s, new Event('abort'));
        if (dependents !== null) for (let i = 0; i < dependents.length; i++) signalAbort(dependents[i], s.#reason);
      };
    }
    constructor(key = undefined) {
      if (key !== token) throw new TypeErrorCtor('Illegal constructor');
      super();
    }
    get aborted() { return this.#aborted; }
    get reason() { return this.#reason; }
    throwIfAborted() { if (this.#aborted) throw this.#reason; }
    get onabort() { return this.#handler; }
    set onabort(value) {
      this.#handler = isObject(value) ? value : null;
      if (this.#handler === null || this.#handlerAdded) return;
      this.#handlerAdded = true;
      // An event handler is one listener, added when first set and kept in its place.
      addListener(this, 'abort', (event) => { const h = this.#handler; if (typeof h === 'function') return apply(h, this, [event]); }, false, false, false);
    }
    static abort(reason = undefined) { const s = newSignal(); signalAbort(s, reason); return s; }
    static timeout(ms) {
      const delay = +ms;
      if (!(delay >= 0 && delay <= 9007199254740991)) throw new TypeErrorCtor('AbortSignal.timeout: the delay must be a non-negative number of ms');
      const s = newSignal();
      addTimer(() => { signalAbort(s, domError('The operation was aborted due to timeout', 'TimeoutError')); }, delay > 2147483647 ? 2147483647 : delay, [], false);
      return s;
    }
    static any(signals) {
      const s = newSignal(), sources = nullList();
      for (const source of signals) {
        charge(1);
        if (!isSignal(source)) throw new TypeErrorCtor('AbortSignal.any: every item must be an AbortSignal');
        sources[sources.length] = source;
      }
      for (let i = 0; i < sources.length; i++) if (sources[i].#aborted) { signalAbort(s, sources[i].#reason); return s; }
      for (let i = 0; i < sources.length; i++) {
        const source = sources[i];
        if (source.#dependents === null) source.#dependents = nullList();
        source.#dependents[source.#dependents.length] = s;
      }
      return s;
    }
  }
  tagClass(AbortSignal, 'AbortSignal');

  class AbortController {
    #signal = newSignal();
    get signal() { return this.#signal; }
    abort(reason = undefined) { signalAbort(this.#signal, reason); }
  }
  tagClass(AbortController, 'AbortController');
  return (eventsGroup = { __proto__: null, Event, CustomEvent, EventTarget, AbortSignal, AbortController });
}
webMakers.Event = () => makeEvents().Event;
webMakers.CustomEvent = () => makeEvents().CustomEvent;
webMakers.EventTarget = () => makeEvents().EventTarget;
webMakers.AbortSignal = () => makeEvents().AbortSignal;
webMakers.AbortController = () => makeEvents().AbortController;
`;
