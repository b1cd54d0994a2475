/** Failed attempts allowed before sign-in starts to wait. */
export const FREE_ATTEMPTS = 5;
/** The first wait; each further failure doubles it, up to `MAX_DELAY_MS`. */
const BASE_DELAY_MS = 2_000;
const MAX_DELAY_MS = 15 * 60_000;
/** Failures older than this are forgotten. */
const FORGET_AFTER_MS = 24 * 3_600_000;
/** At most this many accounts or addresses are tracked; the stalest go first. */
const MAX_TRACKED = 10_000;

interface Failures {
  count: number;
  last: number;
  lockedUntil: number;
}

export type ThrottleDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly by: 'account' | 'address'; readonly retryAfterMs: number };

/**
 * Growing delays after failed sign-ins, per account and per client address: after
 * `FREE_ATTEMPTS` failures in a row each further one locks sign-in for 2 s, 4 s, 8 s …
 * up to 15 minutes, also for the right password. Guessing gets slow whichever way it
 * is spread: many passwords for one account, or many accounts from one address. A
 * successful sign-in resets both counters.
 */
export class SignInThrottle {
  private readonly accounts = new Map<string, Failures>();
  private readonly addresses = new Map<string, Failures>();

  constructor(private readonly now: () => number = Date.now) {}

  check(account: string, address: string): ThrottleDecision {
    const now = this.now();
    for (const [by, map, key] of this.keys(account, address)) {
      const failures = this.current(map, key, now);
      if (failures && failures.lockedUntil > now)
        return { allowed: false, by, retryAfterMs: failures.lockedUntil - now };
    }
    return { allowed: true };
  }

  /** Records a failure; answers the failures in a row for the account and how long sign-in now waits. */
  failed(account: string, address: string): { readonly failures: number; readonly lockedForMs: number } {
    const now = this.now();
    let lockedForMs = 0;
    let accountFailures = 0;
    for (const [by, map, key] of this.keys(account, address)) {
      const failures = this.current(map, key, now) ?? { count: 0, last: now, lockedUntil: 0 };
      failures.count += 1;
      failures.last = now;
      const delay = delayAfter(failures.count);
      failures.lockedUntil = delay > 0 ? now + delay : 0;
      map.delete(key);
      map.set(key, failures);
      lockedForMs = Math.max(lockedForMs, delay);
      if (by === 'account') accountFailures = failures.count;
      if (map.size > MAX_TRACKED) map.delete(map.keys().next().value!);
    }
    return { failures: accountFailures, lockedForMs };
  }

  succeeded(account: string, address: string): void {
    this.accounts.delete(account.toLowerCase());
    this.addresses.delete(address);
  }

  private keys(account: string, address: string): Array<['account' | 'address', Map<string, Failures>, string]> {
    return [
      ['account', this.accounts, account.toLowerCase()],
      ['address', this.addresses, address],
    ];
  }

  private current(map: Map<string, Failures>, key: string, now: number): Failures | undefined {
    const failures = map.get(key);
    if (failures && now - failures.last > FORGET_AFTER_MS && failures.lockedUntil <= now) {
      map.delete(key);
      return undefined;
    }
    return failures;
  }
}

/** How long sign-in waits after the `count`-th failure in a row. */
export function delayAfter(count: number): number {
  if (count <= FREE_ATTEMPTS) return 0;
  return Math.min(BASE_DELAY_MS * 2 ** Math.min(count - FREE_ATTEMPTS - 1, 20), MAX_DELAY_MS);
}

/** "45 s", "3 min": a wait in words. */
export function describeWait(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  return seconds < 120 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}
