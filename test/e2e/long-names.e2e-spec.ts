import { DomainView } from '../../src/mta-sts/services/domain-view';
import { Lab } from '../support/lab';
import { Panel } from '../support/panel';

/** A name of exactly `length` characters under `.test`, in labels of at most 63. */
function longName(first: string, length: number): string {
  const labels: string[] = [];
  let left = length - '.test'.length;
  while (left > 0) {
    const size = Math.min(63, left === 64 ? 62 : left);
    labels.push((labels.length === 0 ? first : 'a').padEnd(size, 'x'));
    left -= size + 1;
  }
  return `${labels.join('.')}.test`;
}

/**
 * The longest names Add accepts (242 characters: `_smtp._tls.<domain>` must stay within
 * 253) work end to end: nginx holds two 250-character policy hosts, every file name fits,
 * the certificate has the name in its subjectAltName, and a sender accepts the policy.
 */
describe('The longest domain names', () => {
  let lab: Lab;
  let panel: Panel;
  const names = [longName('first', 242), longName('second', 242)];

  beforeAll(async () => {
    lab = await Lab.start({ dns: {} });
    for (const name of names) await lab.publishDomain(name);
    panel = await Panel.start(lab.env());
  }, 90_000);

  afterAll(async () => {
    await panel?.close();
    await lab?.stop();
  });

  it('are added, enabled and served with a valid policy, two at once', async () => {
    expect(names.map((name) => name.length)).toEqual([242, 242]);
    for (const name of names) {
      const added = await panel.api<DomainView>('POST', '/api/domains', { domain: name });
      expect(added.status).toBe(201);
      const sts = added.body.records.find((record) => record.name === `_mta-sts.${name}`)!;
      await lab.dnsmasq.update({ txt: { [sts.name]: [sts.value] } });
      expect((await panel.api('POST', `/api/domains/${name}/enable`)).status).toBe(202);
    }
    for (const name of names) {
      const view = await panel.settle(name);
      expect({ name, state: view.state, error: view.error }).toEqual({ name, state: 'active', error: null });
      const served = await lab.fetchHttps(`mta-sts.${name}`, '/.well-known/mta-sts.txt');
      expect(served.status).toBe(200);
      expect(served.body).toBe(view.policy!.text);
      const query = await lab.mtaStsQuery(name);
      expect(query).toContain('VALID');
      expect(query).not.toMatch(/INVALID|FETCH_ERROR/);
    }
  }, 120_000);

  it('refuses one character more at Add, saying why', async () => {
    const tooLong = longName('third', 243);
    const refused = await panel.api<{ message: string }>('POST', '/api/domains', { domain: tooLong });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/would be longer than 253 characters/);
  });
});
