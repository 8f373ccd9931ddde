/**
 * The host's watch over a worker sandbox's requests (src/worker/request-watch.ts): one timer for
 * all of them, armed for the earliest due, whatever order requests with different limits were
 * sent in; a request due never, or past what a Node timer can wait, does not fire early.
 */
import { describe, expect, it } from 'vitest';
import { now } from '../../src/commons.js';
import { RequestWatch, type Watched } from '../../src/worker/request-watch.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function setUp() {
  const pending = new Map<number, Watched>();
  const overdue: string[] = [];
  const watch = new RequestWatch(pending, (request) => overdue.push(request.what));
  let id = 0;
  const send = (inMs: number, what: string) => {
    // Dues are on the host's clock (commons.ts), as the watch reads it.
    const due = now() + inMs;
    pending.set(++id, { due, limit: inMs, what });
    watch.sent(due);
    return id;
  };
  return { pending, overdue, watch, send };
}

describe('request watch', () => {
  it('a request sent later but due sooner (a plain call after a plugin request) fires at its own due', async () => {
    const { overdue, watch, send } = setUp();
    send(2_000, 'plugin');
    send(100, 'call');
    await sleep(600);
    expect(overdue).toEqual(['call']);
    watch.stop();
  });

  it('an answered request is not reported; the watch moves on to the next one pending', async () => {
    const { pending, overdue, watch, send } = setUp();
    const first = send(100, 'first');
    await sleep(30);
    send(250, 'second');
    pending.delete(first);
    await sleep(150);
    // The timer woke for the first, found it answered, and re-armed for the second.
    expect(overdue).toEqual([]);
    await sleep(400);
    expect(overdue).toEqual(['second']);
    watch.stop();
  });

  it('no deadline, or one past what a Node timer can wait, never fires early, nor spins on a timer Node cut to 1 ms', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    const { overdue, watch, send } = setUp();
    send(Infinity, 'unbounded');
    send(3e9, 'far');
    await sleep(200);
    process.off('warning', onWarning);
    expect(overdue).toEqual([]);
    expect(warnings).not.toContain('TimeoutOverflowWarning');
    watch.stop();
  });
});

describe('one timer for every sandbox', () => {
  it("each sandbox's request fires at its own due, whichever sandbox armed the timer; a stopped sandbox is never reported", async () => {
    const a = setUp();
    const b = setUp();
    const c = setUp();
    a.send(400, 'a');
    b.send(100, 'b');
    c.send(50, 'c');
    c.watch.stop();
    await sleep(250);
    expect([a.overdue, b.overdue, c.overdue]).toEqual([[], ['b'], []]);
    await sleep(400);
    expect([a.overdue, b.overdue, c.overdue]).toEqual([['a'], ['b'], []]);
    a.watch.stop();
    b.watch.stop();
  });

  it('a sandbox whose requests were all answered is dropped from the watch, and watched again at its next request', async () => {
    const a = setUp();
    const b = setUp();
    const first = a.send(50, 'a1');
    b.send(300, 'b');
    a.pending.delete(first);
    await sleep(150);
    expect(a.overdue).toEqual([]);
    a.send(100, 'a2');
    await sleep(450);
    expect([a.overdue, b.overdue]).toEqual([['a2'], ['b']]);
    a.watch.stop();
    b.watch.stop();
  });
});
