import type { DomainRecord } from '../domain-record';
import { isChanging, isRemoved, isRetiring } from '../domain-state';
import type { DomainName } from '../hostname';
import { describeDuration } from '../lifecycle';
import { idNotVisibleAlert, publishNowSentence } from './policy-record';
import { readableTime } from './times';

/** The sentences the card puts at the top: things to do or to know about now. */
export function cardAlerts(
  entity: Pick<DomainRecord, 'state' | 'servedPolicyId' | 'retireUntil' | 'policyVisibleAt' | 'mxDrop'>,
  name: DomainName,
  enforceRisks: readonly string[],
  now: Date,
): string[] {
  const alerts: string[] = [];
  if (isChanging(entity.state) && entity.servedPolicyId) {
    alerts.push(idNotVisibleAlert(name, entity.servedPolicyId));
  }
  if (isRetiring(entity.state) && entity.retireUntil) {
    const until = new Date(entity.retireUntil);
    alerts.push(
      `Retiring: mode none is served; the policy host is removed in ${describeDuration(until.getTime() - now.getTime())} (${readableTime(until)}).` +
        (entity.policyVisibleAt ? '' : ` ${publishNowSentence(name, entity.servedPolicyId!)}`),
    );
  }
  if (isRemoved(entity.state)) {
    alerts.push(
      `Retired: delete ${name.policyRecordName} TXT, then the ${name.policyHost} address records, at your DNS provider.`,
    );
  }
  if (entity.mxDrop && entity.mxDrop.hosts.length > 0) {
    alerts.push(
      `The MX records changed: ${entity.mxDrop.hosts.join(', ')} ${entity.mxDrop.hosts.length === 1 ? 'stays' : 'stay'} in the enforce policy until ${readableTime(entity.mxDrop.after)}, as senders may still hold the previous policy.`,
    );
  }
  alerts.push(
    ...enforceRisks.map(
      (risk) => `Under enforce, mail may bounce: ${risk} Revert to testing if it cannot be fixed quickly.`,
    ),
  );
  return alerts;
}
