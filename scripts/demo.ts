/**
 * The local demo: a loopback lab (DNS, CA, nginx), the standalone panel built in dist/,
 * and one domain enabled through the JSON API, exactly as an admin would.
 */
import { spawn } from 'node:child_process';
import type { DomainView } from '../src/mta-sts/services/domain-view';
import { Lab } from '../test/support/lab';
import { panelStart } from './panel-start';
import { waitFor } from '../test/support/processes';

const DOMAIN = 'mail-demo.test';
const PORT = process.env.PORT ?? '3000';
const HOST = process.env.HOST ?? '127.0.0.1';

async function api(
  path: string,
  token: string,
  method = 'GET',
  body?: unknown,
): Promise<{ status: number; body: DomainView }> {
  const response = await fetch(`http://${HOST}:${PORT}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as DomainView };
}

async function main(): Promise<void> {
  console.log('Starting dnsmasq, Pebble and nginx on loopback…');
  const lab = await Lab.start({ dns: {} });
  await lab.publishDomain(DOMAIN);
  const env = { ...process.env, ...lab.env(), PORT, HOST };
  const start = panelStart();
  const panel = spawn(process.execPath, [...start.nodeOptions, start.script], { env, stdio: 'inherit' });
  const stop = async () => {
    panel.kill('SIGTERM');
    await lab.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  panel.on('exit', (code) => {
    console.error(`The panel exited (${code}).`);
    void lab.stop().then(() => process.exit(1));
  });

  await waitFor('the panel to listen', async () => (await api('/api/domains', lab.apiToken)).status === 200, 30_000);
  const added = await api('/api/domains', lab.apiToken, 'POST', { domain: DOMAIN });
  const id = added.body.policy?.id ?? '';
  console.log(`\nAdded ${DOMAIN}. The records an admin would publish:`);
  for (const record of added.body.records) {
    console.log(`  ${record.name}  ${record.type}  ${record.value}`);
  }
  // Publishing them in the demo's DNS server plays the admin's part.
  await lab.dnsmasq.update({
    txt: {
      [`_mta-sts.${DOMAIN}`]: [`v=STSv1; id=${id}`],
      [`_smtp._tls.${DOMAIN}`]: [`v=TLSRPTv1; rua=mailto:tls-reports@${DOMAIN}`],
    },
  });
  console.log('\nEnabling…');
  await api(`/api/domains/${DOMAIN}/enable`, lab.apiToken, 'POST');
  let view = added.body;
  await waitFor(
    `${DOMAIN} to settle`,
    async () => {
      view = (await api(`/api/domains/${DOMAIN}`, lab.apiToken)).body;
      return view.state !== 'provisioning';
    },
    120_000,
  );
  if (view.state !== 'active') {
    console.error(`\n${DOMAIN} is ${view.state}: ${view.error?.step}: ${view.error?.message}`);
  } else {
    console.log(
      `\n${DOMAIN} is active; certificate from ${view.certificate?.issuer}, valid until ${view.certificate?.notAfter}.`,
    );
  }
  const https = lab.ports.https;
  console.log(`
Panel:         http://${HOST}:${PORT}/   sign in as ${lab.users.admin.name} / ${lab.users.admin.password}
               (read-only: ${lab.users.viewer.name} / ${lab.users.viewer.password})
Panel API:     http://${HOST}:${PORT}/api/domains   (Authorization: Bearer ${lab.apiToken})
Policy:        curl --resolve mta-sts.${DOMAIN}:${https}:${lab.address} --cacert ${lab.pebble.rootFile} \\
                 https://mta-sts.${DOMAIN}:${https}/.well-known/mta-sts.txt
DNS:           kdig @${lab.address} -p ${lab.ports.dns} TXT _mta-sts.${DOMAIN}
Files:         ${lab.dir}

Press Ctrl-C to stop the panel, nginx, Pebble and dnsmasq.`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
