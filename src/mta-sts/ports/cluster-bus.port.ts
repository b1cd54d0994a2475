/** What the node's own database session reports. */
export interface ClusterBusEvents {
  /** A change notice another node (or this one) sent: `domain:<name>`, `certificate:<name>`, `challenge:<token>`. */
  notice(payload: string): void;
  /** The session is (again) connected: notices sent while it was not were missed. */
  connected(): void;
  /** The session was lost; leadership went with it. */
  lost(reason: string): void;
}

/** The outcome of asking for a lock another node may hold. */
export type Held<T> = { readonly held: true; readonly value: T } | { readonly held: false };

/**
 * The nodes' meeting point in the shared database: change notices, the leader lock (held
 * by one node's session at a time, released by the database when that session ends, as
 * when the node is killed) and named locks held for the length of some work.
 */
export abstract class ClusterBus {
  /** Opens the node's session and keeps it open, connecting again after a loss. */
  abstract open(events: ClusterBusEvents): void;
  abstract close(): Promise<void>;
  /** Whether the node's session is connected now. */
  abstract readonly connected: boolean;
  /** Takes the leader lock when no other session holds it; true while this session holds it. */
  abstract tryLead(): Promise<boolean>;
  /** Whether this session holds the leader lock. */
  abstract readonly leading: boolean;
  /**
   * Runs `work` holding the cross-node lock `key`. With `wait`, waits for the lock; without,
   * answers `{ held: false }` at once when another node holds it.
   */
  abstract withLock<T>(key: string, wait: boolean, work: () => Promise<T>): Promise<Held<T>>;
}
