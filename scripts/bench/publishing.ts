import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { queryRRset, sendUpdate } from '../../src/mta-sts/adapters/dns-update/dns-exchange';
import { LiveRRset, PublishedType, planPublication } from '../../src/mta-sts/domain/dns-publication';
import { expectedRecords } from '../../src/mta-sts/domain/dns-records';
import { DomainName } from '../../src/mta-sts/domain/hostname';
import { UpdateServer } from '../../test/support/authoritative-dns';
import { freePort } from '../../test/support/processes';
import { percentile } from './measure';

export interface PublishingResult {
  readonly domains: number;
  /** The panel's way: read what is live, plan, one signed UPDATE per domain. */
  readonly panelSeconds: number;
  readonly panelCpuSeconds: number;
  /** The same UPDATEs from one `knsupdate` process, without reading first. */
  readonly baselineSeconds: number;
  /** From sending a new id to both authoritative servers answering it (primary and its secondary). */
  readonly convergenceP50Ms: number;
  readonly convergenceMaxMs: number;
}

const ADDRESS = '192.0.2.10';
const RUA = 'mailto:tls-reports@{domain}';

function knsupdate(key: string, script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('knsupdate', ['-y', key], { maxBuffer: 64 * 2 ** 20 }, (error) =>
      error ? reject(error) : resolve(),
    );
    child.stdin!.end(script);
  });
}

/**
 * Publishing the records of `domains` domains into a Knot DNS zone, the panel's way and
 * with Knot's own `knsupdate` sending the same updates; then how long a new id takes to be
 * answered by a primary and its BIND secondary.
 */
export async function runPublishingBenchmark(domains: number, log: (line: string) => void): Promise<PublishingResult> {
  const port = await freePort();
  const address = `127.${randomInt(100, 250)}.${randomInt(1, 250)}.${randomInt(2, 250)}`;
  const nameservers = (zone: string) => ({ [`ns1.${zone}`]: address, [`ns2.${zone}`]: '127.0.0.1' });
  const panelZone = 'panel.bench';
  const baselineZone = 'baseline.bench';
  const primary = await UpdateServer.start('knot', panelZone, {
    address,
    port,
    nameservers: nameservers(panelZone),
    notify: [{ address: '127.0.0.1', port }],
    // Changes kept in the journal: a zone file rewritten after every update would make the
    // server, not the client, the thing measured.
    zonefileSync: -1,
  });
  const secondary = await UpdateServer.start('bind', panelZone, {
    address: '127.0.0.1',
    port,
    nameservers: nameservers(panelZone),
    secondaryOf: primary,
  });
  const baseline = await UpdateServer.start('knot', baselineZone, {
    address,
    port: await freePort(),
    zonefileSync: -1,
  });
  try {
    const target = {
      host: address,
      port,
      key: { name: primary.keyName, algorithm: 'hmac-sha256' as const, secret: Buffer.from(primary.secret, 'base64') },
      timeoutMs: 10_000,
    };
    const names = Array.from({ length: domains }, (_, index) => `d${String(index).padStart(6, '0')}`);
    const id = '20261126T120000n1';

    log(`[publishing] ${domains} domains the panel's way: read, plan, one signed UPDATE each`);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (const label of names) {
      const name = DomainName.fromValidated(`${label}.${panelZone}`);
      const wanted = expectedRecords(name, id, { ipv4: ADDRESS }, RUA);
      const live = new Map<string, LiveRRset>();
      for (const record of wanted)
        live.set(`${record.name}/${record.type}`, await queryRRset(target, record.name, record.type));
      const plan = planPublication(wanted, (n: string, t: PublishedType) => live.get(`${n}/${t}`)!, 300);
      await sendUpdate(target, panelZone, plan.update, new Date());
    }
    const panelSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);

    log(`[publishing] the same ${domains} updates from one knsupdate process`);
    const lines = [`server ${address} ${baseline.port}`, `zone ${baselineZone}.`];
    for (const label of names) {
      const name = DomainName.fromValidated(`${label}.${baselineZone}`);
      for (const record of expectedRecords(name, id, { ipv4: ADDRESS }, RUA)) {
        const value = record.type === 'TXT' ? `"${record.value}"` : record.value;
        lines.push(`add ${record.name}. 300 ${record.type} ${value}`);
      }
      lines.push('send');
    }
    const baselineStarted = performance.now();
    await knsupdate(`hmac-sha256:${baseline.keyName}:${baseline.secret}`, `${lines.join('\n')}\n`);
    const baselineSeconds = (performance.now() - baselineStarted) / 1000;

    log('[publishing] a new id until both authoritative servers answer it, 20 times');
    const record = `_mta-sts.${names[0]}.${panelZone}`;
    const times: number[] = [];
    let current = `v=STSv1; id=${id}`;
    for (let change = 2; change <= 21; change++) {
      const next = `v=STSv1; id=20261126T120000n${change}`;
      const at = performance.now();
      await sendUpdate(
        target,
        panelZone,
        {
          exactly: [{ name: record, type: 'TXT', values: [current] }],
          remove: [{ name: record, type: 'TXT', values: [current] }],
          add: [{ name: record, type: 'TXT', ttl: 300, values: [next] }],
        },
        new Date(),
      );
      for (;;) {
        const answers = await Promise.all(
          [address, '127.0.0.1'].map(
            async (host) => (await queryRRset({ host, port, timeoutMs: 5_000 }, record, 'TXT')).values,
          ),
        );
        if (answers.every((values) => values.includes(next))) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      times.push(performance.now() - at);
      current = next;
    }
    return {
      domains,
      panelSeconds,
      panelCpuSeconds: (cpu.user + cpu.system) / 1e6,
      baselineSeconds,
      convergenceP50Ms: percentile(times, 50),
      convergenceMaxMs: Math.max(...times),
    };
  } finally {
    await baseline.stop();
    await secondary.stop();
    await primary.stop();
  }
}

export function publishingTable(result: PublishingResult): string {
  const f = (value: number, digits = 1) => value.toFixed(digits);
  return [
    '| domains | panel (s) | panel CPU (s) | knsupdate baseline (s) | panel / baseline | new id on every server, p50 / max (ms) |',
    '| --- | --- | --- | --- | --- | --- |',
    `| ${result.domains} | ${f(result.panelSeconds)} | ${f(result.panelCpuSeconds)} | ${f(result.baselineSeconds)} | ${f(result.panelSeconds / result.baselineSeconds, 2)} | ${f(result.convergenceP50Ms, 0)} / ${f(result.convergenceMaxMs, 0)} |`,
  ].join('\n');
}
