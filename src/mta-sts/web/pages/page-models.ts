import { Badge, CHECK_TITLES, CheckId, CheckStatus } from '../../domain/checks';
import { zoneSnippet } from '../../domain/dns-records';
import {
  PROVISIONING_STEPS,
  STEP_LABELS,
  availableActions,
  checkResultsApply,
  hasFailed,
  isProvisioning,
  isProvisioningStep,
  isRemoved,
  isRetiring,
  isServing,
} from '../../domain/domain-state';
import { MAX_AGE_DEFAULT, PolicyMode } from '../../domain/policy';
import { RecordVisibility, recordStatuses } from '../../domain/record-status';
import { PageRole } from '../../mta-sts.options';
import { DomainPage } from '../../services/domains.service';
import { DomainView } from '../../services/domain-view';
import { describeDuration } from '../../domain/lifecycle';
import { checksNote, readableTime } from '../../domain/wording';
import type { NodesSummary } from '../../services/cluster/nodes-view';
import { nodesLine } from './node-models';

/**
 * What the templates show, worked out here so the templates stay free of logic. Status is
 * always spelled out in words (and a symbol), never carried by colour alone.
 */
export const BADGE_LABELS: Record<Badge, { label: string; symbol: string }> = {
  active: { label: 'Active', symbol: '✓' },
  verifying: { label: 'Verifying', symbol: '…' },
  retiring: { label: 'Retiring', symbol: '↘' },
  error: { label: 'Error', symbol: '✕' },
  inactive: { label: 'Inactive', symbol: '○' },
};

const MODE_LABELS: Record<PolicyMode, string> = { testing: 'Testing', enforce: 'Enforce', none: 'None' };

const STATUS_LABELS: Record<CheckStatus, { label: string; symbol: string }> = {
  pass: { label: 'Pass', symbol: '✓' },
  warn: { label: 'Warning', symbol: '!' },
  fail: { label: 'Fail', symbol: '✕' },
};

const VISIBILITY_LABELS: Record<RecordVisibility, string> = {
  live: 'Live',
  mismatch: 'Mismatch',
  'not-published': 'Not published',
  'lookup-failed': 'Look-up failed',
  unknown: 'Not checked yet',
};

/** The `max_age` choices the card offers (mta-sts-facts §3). */
export const MAX_AGE_CHOICES = [
  { value: 86_400, label: '1 day' },
  { value: MAX_AGE_DEFAULT, label: '1 week' },
  { value: 2_592_000, label: '30 days' },
  { value: 31_557_600, label: '1 year' },
] as const;

const DAY_MS = 86_400_000;
const date = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : null);
const dateTime = (iso: string | null | undefined) => (iso ? readableTime(iso) : null);

/**
 * Sentences said once: a message that repeats another, or is contained in a longer one,
 * is dropped (an Enable error often repeats the MX problem, alerts repeat each other).
 */
function once(messages: ReadonlyArray<string | null | undefined>): string[] {
  const kept: string[] = [];
  for (const message of messages) {
    if (!message) continue;
    if (kept.some((other) => other.includes(message))) continue;
    for (let index = kept.length - 1; index >= 0; index--) if (message.includes(kept[index])) kept.splice(index, 1);
    kept.push(message);
  }
  return kept;
}

/** A running time: seconds under two minutes, then minutes and hours. */
function elapsedTime(ms: number): string {
  return ms < 120_000 ? `${Math.floor(ms / 1000)} s` : describeDuration(ms);
}

/** Where Enable is: the steps done, the one running, the ones to come. */
function provisioningSteps(view: DomainView, recentActions: readonly ActionLine[], now: Date) {
  if (!isProvisioning(view.state) || !isProvisioningStep(view.step)) return null;
  const current = PROVISIONING_STEPS.indexOf(view.step);
  const started = recentActions.find((line) => line.action === 'enable')?.at;
  return {
    elapsed: started ? elapsedTime(Math.max(0, now.getTime() - Date.parse(started))) : null,
    steps: PROVISIONING_STEPS.map((step, index) => ({
      label: STEP_LABELS[step],
      status: index < current ? 'done' : index === current ? 'running' : 'to come',
      key: index < current ? 'done' : index === current ? 'running' : 'pending',
    })),
  };
}

function maxAgeLabel(seconds: number): string {
  return MAX_AGE_CHOICES.find((choice) => choice.value === seconds)?.label ?? `${seconds} seconds`;
}

function summary(view: DomainView, now: Date, nodes?: NodesSummary) {
  const failing = view.checks.find((check) => check.status === 'fail');
  const daysLeft = view.certificate
    ? Math.floor((Date.parse(view.certificate.notAfter) - now.getTime()) / DAY_MS)
    : null;
  return {
    domain: view.domain,
    displayName: view.displayName,
    showAscii: view.displayName !== view.domain,
    badge: { key: view.badge, ...BADGE_LABELS[view.badge] },
    mode: { key: view.mode, label: MODE_LABELS[view.mode] },
    stepLabel: view.stepLabel,
    error: view.error
      ? {
          ...view.error,
          stepLabel: isProvisioningStep(view.error.step) ? STEP_LABELS[view.error.step] : view.error.step,
        }
      : null,
    certificate: view.certificate
      ? { expires: date(view.certificate.notAfter), daysLeft, soon: daysLeft !== null && daysLeft < 14 }
      : null,
    failing: failing ? { title: CHECK_TITLES[failing.check as CheckId], summary: failing.summary } : null,
    nodes: nodesLine(nodes),
  };
}

export interface ListQuery {
  readonly search: string;
  readonly badge: Badge | '';
}

export function listModel(
  page: DomainPage,
  query: ListQuery,
  role: PageRole,
  now: Date,
  nodes: ReadonlyMap<string, NodesSummary> = new Map(),
) {
  const link = (target: number) => {
    const params = new URLSearchParams();
    if (query.search) params.set('q', query.search);
    if (query.badge) params.set('badge', query.badge);
    if (target > 1) params.set('page', String(target));
    const text = params.toString();
    return text ? `?${text}` : '?';
  };
  return {
    title: 'MTA-STS domains',
    canAct: role === 'admin',
    query,
    badges: (Object.keys(BADGE_LABELS) as Badge[]).map((key) => ({
      key,
      label: BADGE_LABELS[key].label,
      selected: key === query.badge,
    })),
    domains: page.items.map((view) => summary(view, now, nodes.get(view.domain))),
    total: page.total,
    filtered: Boolean(query.search || query.badge),
    pagination:
      page.pages > 1
        ? {
            page: page.page,
            pages: page.pages,
            previous: page.page > 1 ? link(page.page - 1) : null,
            next: page.page < page.pages ? link(page.page + 1) : null,
          }
        : null,
  };
}

/** One line of the audit trail, as the card lists it. */
export interface ActionLine {
  readonly action: string;
  readonly actor: string;
  readonly at: string;
  readonly policyIdBefore: string | null;
  readonly policyIdAfter: string | null;
  readonly detail: string;
}

export function cardModel(view: DomainView, role: PageRole, now: Date, recentActions: readonly ActionLine[] = []) {
  const canAct = role === 'admin';
  const base = summary(view, now);
  const error = base.error;
  const available = availableActions(view.state, view.mode);
  const actions = canAct ? { ...available, reissue: available.reissue && view.reissue.remaining > 0 } : null;
  // Top-of-card sentences, each said once.
  const messages = once([error?.message, view.mxProblem, ...view.alerts]);
  return {
    ...base,
    title: `MTA-STS for ${view.displayName}`,
    canAct,
    state: view.state,
    refreshing: isProvisioning(view.state),
    progress: provisioningSteps(view, recentActions, now),
    mxProblem: messages.includes(view.mxProblem ?? '') ? view.mxProblem : null,
    // An error whose message another line already says keeps its step, not its words.
    error: error && { ...error, message: messages.includes(error.message) ? error.message : null },
    maxAge: { seconds: view.maxAge, label: maxAgeLabel(view.maxAge) },
    policy: view.policy,
    servedPolicyId: view.servedPolicyId,
    dnsPublishing: view.dnsPublishing && {
      zone: view.dnsPublishing.zone,
      delegated: view.dnsPublishing.delegated,
      publishedAt: dateTime(view.dnsPublishing.publishedAt),
      lastError: view.dnsPublishing.lastError,
      nextAttemptAt: dateTime(view.dnsPublishing.nextAttemptAt),
    },
    alerts: view.alerts.filter((alert) => messages.includes(alert)),
    retirement:
      isRetiring(view.state) && view.lifecycle.retireUntil
        ? {
            until: dateTime(view.lifecycle.retireUntil),
            untilIso: view.lifecycle.retireUntil,
            left: describeDuration(Date.parse(view.lifecycle.retireUntil) - now.getTime()),
          }
        : null,
    // Served means the HTTPS host answers with it: not yet while Enable runs or after it failed.
    policyServed: isServing(view.state),
    policyBlocked: Boolean(view.mxProblem),
    policyTimes: {
      published: dateTime(view.lifecycle.policyPublishedAt),
      publishedIso: view.lifecycle.policyPublishedAt,
      visible: dateTime(view.lifecycle.policyVisibleAt),
      visibleIso: view.lifecycle.policyVisibleAt,
    },
    recentActions: recentActions.slice(0, 10).map((line) => ({
      ...line,
      at: dateTime(line.at),
      atIso: line.at,
      idChanged: line.policyIdBefore !== line.policyIdAfter,
    })),
    certificateDetail: view.certificate
      ? {
          issuer: view.certificate.issuer,
          issued: date(view.certificate.notBefore),
          expires: date(view.certificate.notAfter),
          daysLeft: Math.floor((Date.parse(view.certificate.notAfter) - now.getTime()) / DAY_MS),
        }
      : null,
    // Results of a host that is gone would read as current: they stop with it.
    checks: (checkResultsApply(view.state) ? view.checks : []).map((check) => ({
      ...check,
      title: CHECK_TITLES[check.check as CheckId],
      status: { key: check.status, ...STATUS_LABELS[check.status] },
    })),
    checksRanAt: dateTime(view.checksRanAt),
    checksRanAtIso: view.checksRanAt,
    checksNote: checksNote(view.state),
    removed: isRemoved(view.state),
    records: isRemoved(view.state)
      ? view.records.map((record) => ({
          ...record,
          // The id published before may differ from the one a new Enable would use.
          value: record.name.startsWith('_mta-sts.') ? 'v=STSv1; id=… (whatever it holds)' : record.value,
          visibility: 'delete',
          found: undefined,
          visibilityLabel: record.name.startsWith('_smtp._tls.') ? 'May stay' : 'Delete it',
        }))
      : recordStatuses(view.records, view.checks).map((record) => ({
          ...record,
          visibilityLabel:
            record.visibility === 'unknown' && !isServing(view.state) && !hasFailed(view.state)
              ? 'Checked once enabled'
              : VISIBILITY_LABELS[record.visibility],
        })),
    zone: zoneSnippet(view.records),
    renewal: {
      dueAt: dateTime(view.renewal.dueAt),
      failures: view.renewal.failures,
      nextAttemptAt: dateTime(view.renewal.nextAttemptAt),
      lastError: view.renewal.lastError,
      retryAfter: dateTime(view.renewal.retryAfter),
    },
    reissue: { ...view.reissue, nextAllowedAt: dateTime(view.reissue.nextAllowedAt) },
    // No Actions heading over nothing (while Enable runs, nothing can be done).
    actions: actions && Object.values(actions).some(Boolean) ? actions : null,
    maxAgeChoices: [
      ...MAX_AGE_CHOICES.map((choice) => ({ ...choice, selected: choice.value === view.maxAge })),
      // A value set elsewhere (the API, the default option) stays selectable, so submitting
      // the form unchanged never lowers it.
      ...(MAX_AGE_CHOICES.some((choice) => choice.value === view.maxAge)
        ? []
        : [{ value: view.maxAge, label: `${view.maxAge} seconds (current)`, selected: true }]),
    ],
  };
}

/** The actions that can make mail bounce or cost a rate-limited certificate ask first. */
export const CONFIRMATIONS = {
  promote: {
    heading: 'Switch to enforce mode?',
    explain:
      'In enforce mode, senders that honour MTA-STS refuse to deliver to an MX host whose TLS certificate they cannot validate. The panel runs every check again first, including a STARTTLS probe of each MX host, and refuses while any of them fails. Senders keep the policy for its max_age, so going back takes effect only when they refetch.',
    button: 'Switch to enforce',
  },
  retire: {
    heading: 'Retire MTA-STS for this domain?',
    explain:
      'The policy host switches to mode none with a new id, which you publish in the _mta-sts TXT record. It keeps serving until every policy senders may have cached has expired (the largest max_age served so far, plus the TXT TTL); then it is removed and the card lists the DNS records to delete. Enable cancels the retirement until then.',
    button: 'Retire',
  },
  'remove-now': {
    heading: 'Remove the policy host now?',
    explain:
      'The policy host stops answering at once. Senders that cached a policy keep applying it until its max_age has passed, and while they hold an enforce policy they defer mail they cannot deliver over validated TLS. Retire is the safe way out.',
    button: 'Remove now',
  },
  reissue: {
    heading: 'Order a new certificate now?',
    explain:
      "The current certificate keeps serving until the new one is installed. Let's Encrypt allows 5 certificates for the same name per week; this panel allows 3 re-issues per domain per week.",
    button: 'Re-issue',
  },
  'publish-dns': {
    heading: 'Publish the DNS records?',
    explain:
      'The panel writes the records below into the zone, in one update that the server applies whole or not at all, and touches no other record. The _mta-sts id is published only for a policy that is served; it counts as visible once every authoritative server of the zone answers it.',
    button: 'Publish',
  },
  remove: {
    heading: 'Delete this domain from the panel?',
    explain: 'Its settings and check history are removed. Certificates and keys stay on disk.',
    button: 'Delete',
  },
} as const;
export type ConfirmedAction = keyof typeof CONFIRMATIONS;
