/**
 * The local demo: a loopback lab (DNS, CA, nginx), the standalone panel built in dist/,
 * and one domain enabled through the JSON API, exactly as an admin would.
 */
import { spawn } from 'node:child_process';
import type { DomainView } from '../src/mta-sts/services/domain-view';
import { Lab } from '../test/support/lab';
import { panelStart } from './panel-start';
import { tcpOpen, waitFor } from '../test/support/processes';

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

/** What the demo started, stopped in reverse order whatever happens. */
const started: Array<() => Promise<void> | void> = [];
let stopping: Promise<never> | undefined;

function stopAll(code: number): Promise<never> {
  stopping ??= (async () => {
    for (const stop of started.reverse()) await (async () => stop())().catch(() => undefined);
    process.exit(code);
  })();
  return stopping;
}

async function main(): Promise<void> {
  // A second demo (or anything else) on the panel's port: say so before starting anything.
  if (await tcpOpen(HOST, Number(PORT))) {
    console.error(
      `Port ${PORT} on ${HOST} is already in use, perhaps by another \`npm run demo\`. ` +
        `Stop that one first, or choose another port: PORT=${Number(PORT) + 1} npm run demo`,
    );
    process.exit(2);
  }
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  console.log('Starting dnsmasq, Pebble and nginx on loopback…');
  const lab = await Lab.start({ dns: {} });
  started.push(() => lab.stop());
  await lab.publishDomain(DOMAIN);
  const env = { ...process.env, ...lab.env(), PORT, HOST };
  const start = panelStart();
  const panel = spawn(process.execPath, [...start.nodeOptions, start.script], { env, stdio: 'inherit' });
  let exited = false;
  started.push(() => {
    if (!exited) panel.kill('SIGTERM');
  });
  panel.on('exit', (code) => {
    exited = true;
    if (stopping) return;
    console.error(`The panel exited (${code}); stopping nginx, Pebble and dnsmasq.`);
    void stopAll(1);
  });

  await waitFor('the panel to listen', async () => (await api('/api/domains', lab.apiToken)).status === 200, 30_000);
  const added = await api('/api/domains', lab.apiToken, 'POST', { domain: DOMAIN });
  if (added.status !== 201) {
    throw new Error(`Adding ${DOMAIN} failed with ${added.status}: ${JSON.stringify(added.body)}`);
  }
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
  console.error(error instanceof Error ? error.message : error);
  void stopAll(1);
});
