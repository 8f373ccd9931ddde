/**
 * `std:config`: what a config file may import. `defineConfig` is the identity (it exists for
 * editors' type hints, as in Vite); `env` holds only the variables the host allow-listed, frozen.
 * Like `std:path` it is source compiled in the sandbox's realm: the variables are written into it
 * as a JSON string literal, so they arrive as sandbox data and no host object comes along.
 */
import { SourceModule } from '../link/allowed.js';

export interface StdConfigOptions {
  /** The environment the config may read, already filtered to the allow-listed variables. */
  env?: Readonly<Record<string, string>>;
}

/** A `std:config` module for an allow-list: `modules: { 'std:config': stdConfig({ env }) }`. */
export function stdConfig(options: StdConfigOptions = {}): SourceModule {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (typeof value !== 'string') throw new TypeError(`std:config env.${key} must be a string`);
    env[key] = value;
  }
  // JSON.stringify twice: the inner makes the data, the outer a string literal of it.
  return new SourceModule(`
export const env = Object.freeze(Object.assign(Object.create(null), JSON.parse(${JSON.stringify(JSON.stringify(env))})));
export function defineConfig(config) { return config; }
export default { env, defineConfig };
`);
}

/** The variables of `source` named in `allowed`: nothing else of the host's environment is read. */
export function pickEnv(allowed: readonly string[], source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of allowed) {
    const value = source[key];
    if (typeof value === 'string') out[key] = value;
  }
  return out;
}
