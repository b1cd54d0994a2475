/**
 * Policy serving: how many TLS handshakes, each followed by a GET of the policy, nginx
 * sustains in each layout, and its CPU per thousand. The shared layout names the
 * certificate with a variable, which nginx 1.22 reads from disk at every handshake; the
 * per-domain layout has one server block per domain with its certificate in memory.
 * Several client processes (`handshake-client.ts`) load one nginx worker.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { NginxLayout } from '../../src/mta-sts/mta-sts.options';
import { NO_POLICY_IDENTITY, nextPolicyIdentity } from '../../src/mta-sts/domain/policy-id';
import { Lab } from '../../test/support/lab';
import { TestCa } from '../../test/support/test-ca';
import { childrenOf, cpuSecondsOf } from './measure';
import { nginxMaster, reloadNginx, writeSites } from './sites';

export interface ServingOptions {
  readonly domains: number;
  /** Client process counts to try, each for `seconds`. */
  readonly clients: readonly number[];
  /** Connections each client keeps in flight. */
  readonly connections: number;
  readonly seconds: number;
}

export interface ServingResult {
  readonly layout: NginxLayout;
  readonly domains: number;
  readonly clients: number;
  readonly connections: number;
  readonly perSecond: number;
  readonly failures: number;
  /** Share of one core the nginx worker used (1 = a whole core: nginx is the limit). */
  readonly workerBusy: number;
  /** nginx worker CPU milliseconds per thousand handshakes with a GET. */
  readonly cpuMsPerThousand: number;
}

const clientScript = join(__dirname, 'handshake-client.ts');

/** Starts `count` client processes, lets them run together, and sums what they did. */
async function load(
  lab: Lab,
  hosts: readonly string[],
  count: number,
  options: ServingOptions,
): Promise<{ handshakes: number; failures: number; seconds: number; workerCpu: number }> {
  const args = [lab.address, String(lab.ports.https), String(options.seconds), String(options.connections), ...hosts];
  const clients = Array.from({ length: count }, () =>
    spawn(process.execPath, ['--import', 'tsx', clientScript, ...args], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  // Each client exits right after its report: wait for that from the start, or an exit
  // that comes before the report is read is missed and the benchmark waits for ever.
  const exited = clients.map((client) => new Promise((resolve) => client.once('exit', resolve)));
  const lines = clients.map((client) => createInterface({ input: client.stdout })[Symbol.asyncIterator]());
  for (const line of lines) {
    if ((await line.next()).value !== 'ready') throw new Error('a handshake client did not start');
  }
  const master = nginxMaster(lab);
  const workerCpu = () => childrenOf(master).reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
  const cpuBefore = workerCpu();
  const started = process.hrtime.bigint();
  for (const client of clients) client.stdin.write('go\n');
  const reports = await Promise.all(
    lines.map(
      async (line) => JSON.parse((await line.next()).value as string) as { handshakes: number; failures: number },
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const spent = workerCpu() - cpuBefore;
  await Promise.all(exited);
  return {
    handshakes: reports.reduce((sum, report) => sum + report.handshakes, 0),
    failures: reports.reduce((sum, report) => sum + report.failures, 0),
    seconds,
    workerCpu: spent,
  };
}

export async function runServingBenchmark(
  options: ServingOptions,
  log: (line: string) => void,
): Promise<ServingResult[]> {
  const results: ServingResult[] = [];
  const identity = nextPolicyIdentity(
    NO_POLICY_IDENTITY,
    { mode: 'enforce', mx: ['mx.serve.test'], maxAge: 604_800 },
    new Date(),
  );
  const names = Array.from({ length: options.domains }, (_, index) => `s${String(index).padStart(6, '0')}.serve.test`);
  const hosts = names.map((name) => `mta-sts.${name}`);
  for (const layout of ['shared', 'per-domain'] as const) {
    log(`[serving] ${options.domains} domains, ${layout} layout`);
    const lab = await Lab.start({ dns: {} });
    try {
      const ca = await TestCa.create('Serving CA');
      await writeSites(lab, layout, names, ca, identity.policyText!);
      await reloadNginx(lab);
      for (const count of options.clients) {
        const run = await load(lab, hosts, count, options);
        const result: ServingResult = {
          layout,
          domains: options.domains,
          clients: count,
          connections: options.connections,
          perSecond: run.handshakes / run.seconds,
          failures: run.failures,
          workerBusy: run.workerCpu / run.seconds,
          cpuMsPerThousand: (run.workerCpu * 1000 * 1000) / Math.max(1, run.handshakes),
        };
        log(
          `[serving] ${layout}, ${count} client(s): ${result.perSecond.toFixed(0)}/s, worker ${(100 * result.workerBusy).toFixed(0)} % busy, ${result.failures} failed`,
        );
        results.push(result);
      }
    } finally {
      await lab.stop();
    }
  }
  return results;
}

export function servingTable(results: readonly ServingResult[]): string {
  const header =
    '| nginx layout | domains | client processes × connections | handshakes + GETs per second | nginx worker busy | worker CPU per 1,000 (ms) | failed |';
  const rule = '|' + ' --- |'.repeat(7);
  const rows = results.map(
    (r) =>
      `| ${r.layout} | ${r.domains} | ${r.clients} × ${r.connections} | ${r.perSecond.toFixed(0)} | ${(100 * r.workerBusy).toFixed(0)} % | ${r.cpuMsPerThousand.toFixed(0)} | ${r.failures} |`,
  );
  return [header, rule, ...rows].join('\n');
}
