import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeServing } from '../../../src/mta-sts/domain/domain-state';
import { InvalidOptionError } from '../../../src/mta-sts/domain/errors';
import { SYSTEM_HOST_FACTS } from '../../../src/mta-sts/mta-sts.options';
import { resolveCluster } from '../../../src/mta-sts/options/resolve-cluster';
import { bundleDigest, seal, unseal } from '../../../src/mta-sts/services/cluster/sealing';
import { SweepTurn } from '../../../src/mta-sts/services/cluster/sweep-turns';
import type { Leadership } from '../../../src/mta-sts/services/cluster/leadership';
import { InvalidSettingError, loadPanelConfig } from '../../../src/panel/env';

const BUNDLE =
  '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n';

describe('Sealed certificate bundles', () => {
  const key = randomBytes(32);

  it('opens with the same key and domain, and hides the key', () => {
    const sealed = seal(key, 'example.com', BUNDLE);
    expect(sealed.startsWith('v1:')).toBe(true);
    expect(sealed).not.toContain('PRIVATE KEY');
    expect(unseal(key, 'example.com', sealed)).toBe(BUNDLE);
    // A fresh nonce each time: the same bundle never seals to the same text.
    expect(seal(key, 'example.com', BUNDLE)).not.toBe(sealed);
  });

  it('refuses another key, another domain, a changed byte and an unknown format', () => {
    const sealed = seal(key, 'example.com', BUNDLE);
    expect(() => unseal(randomBytes(32), 'example.com', sealed)).toThrow(/same cluster key file/);
    expect(() => unseal(key, 'example.org', sealed)).toThrow(/does not open/);
    const bytes = Buffer.from(sealed.slice(3), 'base64');
    bytes[bytes.length - 1] ^= 1;
    expect(() => unseal(key, 'example.com', `v1:${bytes.toString('base64')}`)).toThrow(/does not open/);
    expect(() => unseal(key, 'example.com', 'v9:AAAA')).toThrow(/unknown format/);
  });

  it('names a bundle by the SHA-256 of its text', () => {
    expect(bundleDigest(BUNDLE)).toMatch(/^[0-9a-f]{64}$/);
    expect(bundleDigest(BUNDLE)).toBe(bundleDigest(`${BUNDLE}`));
    expect(bundleDigest(`${BUNDLE}x`)).not.toBe(bundleDigest(BUNDLE));
  });
});

describe('Cluster options', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-cluster-options-'));
  const keyFile = join(dir, 'cluster.key');
  writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });

  const refusal = (options: Parameters<typeof resolveCluster>[0]) => {
    try {
      resolveCluster(options, SYSTEM_HOST_FACTS);
    } catch (error) {
      if (error instanceof InvalidOptionError) return error;
      throw error;
    }
    throw new Error('expected a refusal');
  };

  it('reads a 32-byte key and applies the defaults', () => {
    const resolved = resolveCluster({ node: 'node-a', keyFile }, SYSTEM_HOST_FACTS)!;
    expect(resolved.node).toBe('node-a');
    expect(resolved.key).toHaveLength(32);
    expect(resolved.reconcileMs).toBe(60_000);
    expect(resolved.leaderPollMs).toBe(5_000);
    expect(resolveCluster(undefined, SYSTEM_HOST_FACTS)).toBeUndefined();
  });

  it('refuses a bad node name, a missing or short key, and out-of-range intervals, naming the option', () => {
    expect(refusal({ node: 'node a', keyFile }).option).toBe('cluster.node');
    expect(refusal({ node: 'x'.repeat(49), keyFile }).option).toBe('cluster.node');
    expect(refusal({ node: 'a', keyFile: join(dir, 'missing') }).message).toContain('cannot read');
    const short = join(dir, 'short.key');
    writeFileSync(short, randomBytes(16).toString('base64'));
    expect(refusal({ node: 'a', keyFile: short }).message).toContain('openssl rand -base64 32');
    expect(refusal({ node: 'a', keyFile, reconcileSeconds: 1 }).option).toBe('cluster.reconcileSeconds');
    expect(refusal({ node: 'a', keyFile, leaderPollSeconds: 0 }).option).toBe('cluster.leaderPollSeconds');
  });

  it('never shows the key in an error', () => {
    const text = `${randomBytes(20).toString('base64')}\n`;
    const bad = join(dir, 'bad.key');
    writeFileSync(bad, text);
    expect(refusal({ node: 'a', keyFile: bad }).message).not.toContain(text.trim());
  });

  it('makes a panel a node only with PostgreSQL and a key file, naming the variable', () => {
    const base = { MTA_STS_SERVER_IPV4: '192.0.2.10', MTA_STS_NODE_NAME: 'node-a' };
    const refused = (env: Record<string, string>) => {
      try {
        loadPanelConfig(env);
      } catch (error) {
        if (error instanceof InvalidSettingError) return error.message;
        throw error;
      }
      throw new Error('expected a refusal');
    };
    expect(refused(base)).toContain('MTA_STS_NODE_NAME');
    expect(refused({ ...base, MTA_STS_DATABASE_URL: 'postgres://u@db/mta' })).toContain('MTA_STS_CLUSTER_KEY_FILE');
    const config = loadPanelConfig({
      ...base,
      MTA_STS_DATABASE_URL: 'postgres://u@db/mta',
      MTA_STS_CLUSTER_KEY_FILE: keyFile,
      MTA_STS_CLUSTER_LEADER_POLL_SECONDS: '2',
    });
    expect(config.resolved.cluster).toMatchObject({ node: 'node-a', leaderPollMs: 2_000 });
    expect(
      refused({
        ...base,
        MTA_STS_NODE_NAME: 'bad name',
        MTA_STS_DATABASE_URL: 'postgres://u@db/mta',
        MTA_STS_CLUSTER_KEY_FILE: keyFile,
      }),
    ).toContain('MTA_STS_NODE_NAME');
  });
});

describe('What a node does with a domain', () => {
  it('serves what is served or provisioning, stops what is gone, keeps what failed', () => {
    for (const state of ['active', 'changing', 'retiring', 'provisioning'] as const)
      expect(nodeServing(state)).toBe('serve');
    for (const state of ['inactive', 'removed', undefined] as const) expect(nodeServing(state)).toBe('stop');
    expect(nodeServing('error')).toBe('keep');
  });
});

describe('A leader sweep turn', () => {
  const leading = (leads: () => boolean) => ({ leads }) as unknown as Leadership;

  it('records as done only what every worker has finished', async () => {
    vi.useFakeTimers();
    try {
      const recorded: Array<[number, boolean]> = [];
      const turn = new SweepTurn(
        0,
        leading(() => true),
        async (through, finished) => {
          recorded.push([through, finished]);
          return true;
        },
      );
      turn.began(1);
      turn.began(2);
      turn.began(3);
      vi.advanceTimersByTime(1_500);
      await turn.ended(2);
      // 1 and 3 still run: only what comes before 1 is done.
      expect(recorded).toEqual([[0, false]]);
      vi.advanceTimersByTime(1_500);
      await turn.ended(1);
      expect(recorded.at(-1)).toEqual([2, false]);
      vi.advanceTimersByTime(1_500);
      await turn.ended(3);
      expect(recorded.at(-1)).toEqual([3, false]);
      await turn.finished();
      expect(recorded.at(-1)).toEqual([3, true]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops when its progress is refused (another term) or the node no longer leads', async () => {
    vi.useFakeTimers();
    try {
      let leads = true;
      const turn = new SweepTurn(
        10,
        leading(() => leads),
        async () => false,
      );
      expect(turn.after).toBe(10);
      expect(turn.current).toBe(true);
      turn.began(11);
      vi.advanceTimersByTime(1_500);
      await turn.ended(11);
      expect(turn.current).toBe(false);
      const other = new SweepTurn(
        0,
        leading(() => leads),
      );
      leads = false;
      expect(other.current).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
