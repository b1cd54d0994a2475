import { Injectable, Optional } from '@nestjs/common';
import { ClusterLocks } from './cluster/cluster-locks';
import { KeyedMutex } from './keyed-mutex';

/** The locks being held now; only `DomainLocks.run` adds to it. */
const HELD = new WeakSet<HeldLock>();

/**
 * Proof that the caller holds a domain's lock, handed to the work `DomainLocks.run` runs
 * and valid only until that work ends. Methods that must run under the lock take one and
 * check it, so "the caller holds the lock" is a parameter rather than a promise.
 */
export class HeldLock {
  constructor(readonly domain: string) {}

  /** Throws unless this is a lock `DomainLocks` handed out for `domain` and still holds. */
  assertHolds(domain: string): void {
    if (!HELD.has(this) || this.domain !== domain) {
      throw new Error(`${domain} is changed without holding its lock.`);
    }
  }
}

/**
 * One lock per domain, shared by every service that changes a domain (enable, disable,
 * renew, re-issue), so their file writes and nginx reloads never interleave. In a cluster
 * the lock also holds across nodes.
 */
@Injectable()
export class DomainLocks {
  private readonly mutex = new KeyedMutex();

  constructor(@Optional() private readonly cluster?: ClusterLocks) {}

  /** Runs `work` once no other work on `domain` runs, in arrival order. */
  run<T>(domain: string, work: (held: HeldLock) => Promise<T>): Promise<T> {
    const locked = async () => {
      const held = new HeldLock(domain);
      HELD.add(held);
      try {
        return await work(held);
      } finally {
        HELD.delete(held);
      }
    };
    return this.mutex.run(domain, () =>
      this.cluster ? this.cluster.serialized(`domain:${domain}`, locked) : locked(),
    );
  }
}
