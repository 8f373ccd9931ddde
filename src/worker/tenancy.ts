/**
 * What every carrier (a worker thread here, a child process) does the same way: the sandboxes it
 * hosts, its recycling state, and the holds that keep the host process alive while the host waits
 * on it. A carrier says only how a message reaches its worker, how it is kept alive, and how it
 * stops.
 */
import { DisposedError, type EsmSandboxError } from '../errors/errors.js';
import type { Inbound, Outbound, Tenant } from './carrier.js';

export abstract class Tenancy {
  protected readonly tenants = new Map<number, Tenant>();
  /** What sandboxes are built from, kept until their first message carries it (see Inbound). */
  private readonly unsent = new Map<number, unknown>();
  /** Farewells of disposed sandboxes, sent together once the current turn is over (see detach). */
  private readonly farewells: Inbound[] = [];
  private readonly sendFarewells = (): void => {
    for (const message of this.farewells.splice(0)) if (this.ended === undefined) this.deliver(message);
  };
  private nextTenant = 1;
  /** Reasons the host is waiting on the carrier; while there are any, it keeps the process alive. */
  private holds = 0;
  protected ended: EsmSandboxError | undefined;
  private retired = false;
  /** Contexts ever created in it (they are never freed before it ends). */
  created = 0;
  /** The worker's used heap, in MB, as it last reported. */
  heapMb = 0;
  /** The worker has loaded and can serve at once (it said `ready`). */
  ready = false;
  /** Sandboxes of its own the worker warmed up with while nobody used it (worker/warm-up.ts). */
  warmedUp = 0;

  /** What the carrier is, in messages: "worker thread", "child process". */
  protected abstract readonly kind: string;
  /** Hand a message to the worker (only while the carrier has not ended). */
  protected abstract deliver(message: Inbound): void;
  /** Keep the host process alive for the carrier, or stop doing so. */
  protected abstract keepAlive(on: boolean): void;
  /** Stop now: every tenant still in it fails with `error`. */
  abstract terminate(error: EsmSandboxError): void;

  /** Live tenants. */
  get size(): number {
    return this.tenants.size;
  }
  get alive(): boolean {
    return this.ended === undefined;
  }
  /** Alive and not retired: takes new tenants. */
  get accepting(): boolean {
    return this.alive && !this.retired;
  }

  /** Host a new sandbox: `init` goes to the worker with the sandbox's first message, which builds the sandbox from it. */
  attach(tenant: Tenant, init: unknown): number {
    if (!this.accepting) throw new DisposedError(`its ${this.kind} is no longer accepting sandboxes`);
    const sandbox = this.nextTenant++;
    this.tenants.set(sandbox, tenant);
    this.unsent.set(sandbox, init);
    this.created++;
    return sandbox;
  }

  /**
   * The sandbox is gone: `farewell` goes to the worker if it built the sandbox; a retired carrier
   * ends with its last one. Nobody waits for a farewell, so it leaves once the caller's turn is
   * over, with any others of the same moment: a message is ~30 µs of the host's time after an idle
   * moment, which `dispose()` need not make its caller wait for.
   */
  detach(sandbox: number, farewell: unknown): void {
    if (!this.unsent.delete(sandbox)) {
      if (this.farewells.length === 0) setImmediate(this.sendFarewells);
      this.farewells.push({ sandbox, body: farewell });
    }
    this.tenants.delete(sandbox);
    if (this.retired && this.tenants.size === 0) this.terminate(new DisposedError(`its ${this.kind} was recycled`));
  }

  post(sandbox: number, body: unknown): void {
    if (this.ended !== undefined) return;
    const init = this.unsent.get(sandbox);
    if (init === undefined) {
      this.deliver({ sandbox, body });
      return;
    }
    // Deleted only once delivered: a message structured clone refused leaves the creation for the next.
    this.deliver({ sandbox, body, init });
    this.unsent.delete(sandbox);
  }

  /** No new tenants; end when the last one leaves. */
  retire(): void {
    this.retired = true;
    if (this.tenants.size === 0) this.terminate(new DisposedError(`its ${this.kind} was recycled`));
  }

  hold(): void {
    if (this.holds++ === 0) this.keepAlive(true);
  }

  release(): void {
    if (this.holds > 0 && --this.holds === 0) this.keepAlive(false);
  }

  /** The carrier is gone: every tenant still in it fails with `error`, once. */
  protected end(error: EsmSandboxError): void {
    if (this.ended !== undefined) return;
    this.ended = error;
    this.retired = true;
    const tenants = [...this.tenants.values()];
    this.tenants.clear();
    this.unsent.clear();
    for (const tenant of tenants) tenant.lost(error);
  }

  /** A message of the worker's, for a tenant (`sandbox` 0: the carrier's own, e.g. `ready`). */
  protected route(message: Outbound): void {
    if (message.heapMb !== undefined) this.heapMb = message.heapMb;
    if (message.sandbox === 0 && message.body.kind === 'ready') this.ready = true;
    if (message.sandbox === 0 && message.body.kind === 'warmed') this.warmedUp = message.body.rounds;
    this.tenants.get(message.sandbox)?.receive(message.body);
  }
}
