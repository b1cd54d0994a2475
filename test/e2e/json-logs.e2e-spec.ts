import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab, freePort } from '../support/lab';
import { apiRequest } from '../support/panel';
import { Service, waitFor } from '../support/processes';

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

interface LogLine {
  readonly level: number;
  readonly msg?: string;
  readonly context?: string;
  readonly event?: string;
  readonly domain?: string;
  readonly action?: string;
  readonly outcome?: string;
  readonly actor?: string;
  readonly policyIdAfter?: string;
  readonly req?: { readonly url: string; readonly headers: Record<string, string> };
}

/**
 * `MTA_STS_LOG_FORMAT=json`: the standalone panel (`node dist/main.js`) writes one JSON
 * object per line through pino, each action on a domain once with its outcome, and never
 * a credential.
 */
describe('JSON logs of the standalone panel', () => {
  const domain = 'logged.test';
  let lab: Lab;
  let panel: Service;
  let url: string;

  const api = (method: string, path: string, body?: unknown) => apiRequest(url, lab.apiToken, method, path, body);

  function lines(): LogLine[] {
    return readFileSync(panel.logFile, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as LogLine);
  }

  const actions = () =>
    lines()
      .filter((line) => line.event === 'domain-action')
      .map(({ domain: name, action, outcome, actor }) => ({ domain: name, action, outcome, actor }));

  beforeAll(async () => {
    lab = await Lab.start({ dns: {} });
    await lab.publishDomain(domain);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    panel = Service.start('panel', process.execPath, [MAIN], join(lab.dir, 'panel.log'), {
      ...lab.env({ MTA_STS_SMTP_PROBE: 'false', MTA_STS_LOG_FORMAT: 'json' }),
      PORT: String(port),
    });
    await waitFor('the panel to listen', async () => (await api('GET', '/api/domains')).status === 200, 30_000);
  }, 60_000);

  afterAll(async () => {
    await panel?.stop();
    await lab?.stop();
  });

  it('writes every line as JSON, start-up included', () => {
    const all = lines();
    expect(all.length).toBeGreaterThan(3);
    expect(all.some((line) => line.context === 'NestApplication')).toBe(true);
    expect(all.some((line) => line.context === 'Panel' && /^Listening on/.test(line.msg ?? ''))).toBe(true);
  });

  it('logs each action once with its outcome: done, refused and the background provisioning', async () => {
    const added = await api('POST', '/api/domains', { domain });
    expect(added.status).toBe(201);
    expect((await api('POST', '/api/domains', { domain })).status).toBe(409);
    expect((await api('POST', `/api/domains/${domain}/mode`, { mode: 'enforce' })).status).toBe(409);
    expect((await api('POST', '/api/domains/unknown.test/enable')).status).toBe(404);
    expect((await api('POST', `/api/domains/${domain}/enable`)).status).toBe(202);
    await waitFor(
      'provisioning to finish',
      async () => (await api('GET', `/api/domains/${domain}`)).body.state !== 'provisioning',
      60_000,
    );
    expect((await api('GET', `/api/domains/${domain}`)).body.state).toBe('active');

    await waitFor('the provisioning outcome in the log', async () => actions().length >= 6, 5_000);
    expect(actions()).toEqual([
      { domain, action: 'add', outcome: 'done', actor: 'api' },
      { domain, action: 'add', outcome: 'refused', actor: 'api' },
      { domain, action: 'mode', outcome: 'refused', actor: 'api' },
      { domain: 'unknown.test', action: 'enable', outcome: 'refused', actor: 'api' },
      { domain, action: 'enable', outcome: 'done', actor: 'api' },
      { domain, action: 'provisioned', outcome: 'done', actor: undefined },
    ]);
    const provisioned = lines().find((line) => line.action === 'provisioned')!;
    expect(provisioned.policyIdAfter).toMatch(/^\d{8}T\d{6}n\d+$/);
    expect(provisioned.msg).toContain(`https://mta-sts.${domain}/.well-known/mta-sts.txt`);
  }, 90_000);

  it('logs requests without the API token, health checks and assets left out', async () => {
    await fetch(`${url}/healthz`);
    await fetch(`${url}/mta-sts/assets/panel.css`);
    const requests = lines().filter((line) => line.req !== undefined);
    expect(requests.some((line) => line.req!.url === '/api/domains')).toBe(true);
    expect(requests.some((line) => line.req!.url === '/healthz' || line.req!.url.includes('/assets/'))).toBe(false);
    const authorized = requests.find((line) => line.req!.headers.authorization !== undefined)!;
    expect(authorized.req!.headers.authorization).toBe('[redacted]');
    expect(readFileSync(panel.logFile, 'utf8')).not.toContain(lab.apiToken);
  });
});
