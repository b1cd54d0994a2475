import { InvalidOptionError } from '../index';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The environment-variable values the module's and the panel's settings share. A bad value
 * is an `InvalidOptionError` named after the variable; unset or empty is `undefined`.
 */

/** The variable's value, trimmed; undefined when unset or blank. */
export function envText(env: Env, variable: string): string | undefined {
  return env[variable]?.trim() || undefined;
}

/** `true` or `false` (also `1`/`0`, `yes`/`no`, `on`/`off`), in any case. */
export function envBoolean(env: Env, variable: string): boolean | undefined {
  const raw = env[variable]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new InvalidOptionError(variable, `"${env[variable]}" must be true or false`);
}

/** A whole number from `min` to `max`. */
export function envInteger(env: Env, variable: string, min: number, max: number): number | undefined {
  const raw = env[variable];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new InvalidOptionError(variable, `"${raw}" must be a whole number from ${min} to ${max}`);
  }
  return value;
}
