import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { WebServer } from '../../src/mta-sts/ports';
import { DataLayout } from '../../src/mta-sts/services/data-layout';
import { DomainView } from '../../src/mta-sts/services/domain-view';
import { Lab } from '../support/lab';
import { Panel } from '../support/panel';
import { execFileAsync } from '../support/processes';

/**
 * The shared nginx layout against real services: one nginx file for every policy host,
 * certificates picked per handshake through `<data>/served/<host>.pem`, and no reload
 * when a domain is enabled, disabled or renewed. Debian's mta-sts-query checks what a
 * sender sees; the master's worker pids show whether nginx reloaded.
 */
describe('The shared nginx layout end to end', () => {
  const legacy = 'legacy.test';
  const first = 'one.test';
  const second = 'two.test';
  let lab: Lab;
  let panel: Panel;
  let workerUid: number;

  const bundleFile = (domain: string) => join(lab.dataDir, 'certs', domain, 'certificate.pem');
  const servedFile = (domain: string) => join(lab.dataDir, 'served', `mta-sts.${domain}.pem`);
  const siteFile = (domain: string) => join(lab.nginx.sitesDir, `mta-sts.${domain}.conf`);

  /** The fingerprint nginx presents for `mta-sts.<domain>`, or `refused: <reason>`. */
  function handshake(host: string): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect({ host: lab.address, port: lab.ports.https, servername: host, rejectUnauthorized: false });
      socket.setTimeout(5_000, () => socket.destroy(new Error('timeout')));
      socket.once('secureConnect', () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.destroy();
      });
      socket.once('error', (error) => resolve(`refused: ${error.message}`));
    });
  }

  async function servedPolicy(domain: string): Promise<string> {
    const answer = await lab.fetchHttps(`mta-sts.${domain}`, '/.well-known/mta-sts.txt');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/plain');
    return answer.body;
  }

  /** Adds the domain, publishes its records, enables it and waits until it is active. */
  async function enable(domain: string): Promise<DomainView> {
    const added = await panel.api<DomainView>('POST', '/api/domains', { domain });
    expect(added.status).toBe(201);
    await lab.dnsmasq.update({
      txt: {
        [`_mta-sts.${domain}`]: [`v=STSv1; id=${added.body.policy!.id}`],
        [`_smtp._tls.${domain}`]: [`v=TLSRPTv1; rua=mailto:tls-reports@${domain}`],
      },
    });
    await panel.api('POST', `/api/domains/${domain}/enable`);
    const view = await panel.settle(domain);
    expect(view.error).toBeNull();
    expect(view.state).toBe('active');
    return view;
  }

  function expectWorkerBundle(domain: string): void {
    const stats = statSync(bundleFile(domain));
    expect({ uid: stats.uid, mode: stats.mode & 0o777 }).toEqual({ uid: workerUid, mode: 0o600 });
  }

  beforeAll(async () => {
    lab = await Lab.start({ dns: {} });
    for (const domain of [legacy, first, second]) await lab.publishDomain(domain);
    workerUid = Number((await execFileAsync('id', ['-u', lab.nginx.workerUser])).stdout.trim());
    panel = await Panel.start(lab.env());
  }, 60_000);

  afterAll(async () => {
    await panel?.close();
    await lab?.stop();
  });

  it('keeps a domain enabled in the per-domain layout serving after a restart in the shared layout', async () => {
    const view = await enable(legacy);
    expect(existsSync(siteFile(legacy))).toBe(true);

    await panel.close();
    panel = await Panel.start(lab.env({ MTA_STS_NGINX_LAYOUT: 'shared' }));

    expect(await servedPolicy(legacy)).toBe(view.policy!.text);
  }, 90_000);

  it('enables two domains with one shared file and a link each; mta-sts-query accepts both', async () => {
    // The first Enable writes the shared file (tested and reloaded); the next needs no reload.
    const one = await enable(first);
    const workers = lab.nginx.workerPids();
    const two = await enable(second);
    expect(lab.nginx.workerPids()).toEqual(workers);

    expect(readdirSync(lab.nginx.sitesDir).sort()).toEqual([
      '00-mta-sts-defaults.conf',
      '00-mta-sts-shared.conf',
      `mta-sts.${legacy}.conf`,
    ]);
    for (const [domain, view] of [
      [first, one],
      [second, two],
    ] as const) {
      expect(lstatSync(servedFile(domain)).isSymbolicLink()).toBe(true);
      expect(readlinkSync(servedFile(domain))).toBe(bundleFile(domain));
      expect(await servedPolicy(domain)).toBe(view.policy!.text);
      const query = await lab.mtaStsQuery(domain);
      expect(query).toContain('VALID');
      expect(query).not.toMatch(/INVALID|FETCH_ERROR|NONE/);
      expectWorkerBundle(domain);
    }
    // nginx's worker traverses to the bundles; nobody can list them.
    for (const dir of ['served', 'certs', join('certs', first)]) {
      expect(statSync(join(lab.dataDir, dir)).mode & 0o777).toBe(0o711);
    }
  }, 120_000);

  it('refuses the handshake for an mta-sts name it does not serve, and for other names', async () => {
    expect(await handshake('mta-sts.other.example')).toMatch(/^refused/);
    expect(await handshake('www.other.example')).toMatch(/^refused/);
    expect(await handshake(`mta-sts.${first}`)).toMatch(/^[0-9A-F:]+$/);
  });

  it('moves the per-domain domain into the shared layout when it is applied, serving throughout', async () => {
    const layout = panel.app.get(DataLayout);
    const site = {
      host: `mta-sts.${legacy}`,
      policyFile: layout.policyFile(legacy),
      acmeWebroot: layout.acmeWebroot,
      tls: { bundleFile: layout.certificateBundle(legacy) },
    };
    const fingerprint = await handshake(`mta-sts.${legacy}`);
    const outcomes: string[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        outcomes.push(await handshake(`mta-sts.${legacy}`));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();

    // What the next Enable of the domain does: one tested apply that drops the old file.
    await panel.app.get(WebServer).applySite(site);
    polling = false;
    await poller;

    expect(outcomes.length).toBeGreaterThan(3);
    expect(new Set(outcomes)).toEqual(new Set([fingerprint]));
    expect(existsSync(siteFile(legacy))).toBe(false);
    expect(readlinkSync(servedFile(legacy))).toBe(bundleFile(legacy));
    expectWorkerBundle(legacy);
    expect(await lab.mtaStsQuery(legacy)).toContain('VALID');
  }, 60_000);

  it('disables a domain without reloading nginx: its handshake fails, the others still serve', async () => {
    const workers = lab.nginx.workerPids();
    expect(workers.length).toBeGreaterThan(0);

    const disabled = await panel.api('POST', `/api/domains/${second}/disable`, { now: true });
    expect(disabled.status).toBe(200);

    expect(existsSync(servedFile(second))).toBe(false);
    expect(await handshake(`mta-sts.${second}`)).toMatch(/^refused/);
    await expect(lab.fetchHttps(`mta-sts.${second}`, '/.well-known/mta-sts.txt')).rejects.toThrow();
    expect(await servedPolicy(first)).toContain('version: STSv1');
    expect(await servedPolicy(legacy)).toContain('version: STSv1');
    expect(lab.nginx.workerPids()).toEqual(workers);
  });

  it('serves a renewed certificate at the next handshake without reloading nginx', async () => {
    const workers = lab.nginx.workerPids();
    const before = await handshake(`mta-sts.${first}`);
    const oldBundle = readFileSync(bundleFile(first), 'utf8');

    const reissued = await panel.api<{ outcome: string }>('POST', `/api/domains/${first}/reissue`);
    expect(reissued.status).toBe(200);
    expect(reissued.body.outcome).toBe('renewed');

    expect(readFileSync(bundleFile(first), 'utf8')).not.toBe(oldBundle);
    const after = await handshake(`mta-sts.${first}`);
    expect(after).toMatch(/^[0-9A-F:]+$/);
    expect(after).not.toBe(before);
    expectWorkerBundle(first);
    expect(lab.nginx.workerPids()).toEqual(workers);
    expect(await lab.mtaStsQuery(first)).toContain('VALID');
  }, 60_000);
});
