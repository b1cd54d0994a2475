/** One entry of a domain's audit trail: who did what, when, and the policy id before and after. */
export interface ActionRecord {
  readonly action: string;
  readonly actor: string;
  readonly at: string;
  readonly policyIdBefore: string | null;
  readonly policyIdAfter: string | null;
  readonly detail: string;
}

export interface TrailEntry {
  readonly domain: string;
  readonly action: string;
  readonly actor: string;
  readonly at: Date;
  readonly policyIdBefore: string | null;
  readonly policyIdAfter: string | null;
  readonly detail: string;
}

/** Where the audit trail is kept. Lifecycle changes write theirs through `DomainStore.apply`. */
export abstract class AuditTrail {
  abstract append(entry: TrailEntry): Promise<void>;
  /** The domain's recent entries, newest first. */
  abstract recent(domain: string, limit: number): Promise<ActionRecord[]>;
}
