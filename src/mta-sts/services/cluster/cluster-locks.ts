import { Inject, Injectable, Optional } from '@nestjs/common';
import { ClusterBus, Held } from '../../ports/cluster-bus.port';

/**
 * Locks that hold across nodes, on the shared database; on a single node every lock is
 * free at once (the in-process locks are enough there).
 */
@Injectable()
export class ClusterLocks {
  constructor(@Optional() @Inject(ClusterBus) private readonly bus?: ClusterBus | null) {}

  /** Runs `work` unless another node holds `key`; then answers `{ held: false }` at once. */
  async ifFree<T>(key: string, work: () => Promise<T>): Promise<Held<T>> {
    if (!this.bus) return { held: true, value: await work() };
    return this.bus.withLock(key, false, work);
  }

  /** Runs `work` once no other node holds `key`. */
  async serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    if (!this.bus) return work();
    const outcome = await this.bus.withLock(key, true, work);
    if (!outcome.held) throw new Error(`the cluster lock ${key} was not taken`);
    return outcome.value;
  }
}
