import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSigned } from '../support/self-signed';
import {
  ariCertificateId,
  nextRetryAt,
  reissueAllowance,
  renewalDueFromLifetime,
  renewalDueFromWindow,
} from '../../src/mta-sts/domain/renewal';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const t0 = new Date('2026-03-01T00:00:00Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);

describe('renewalDueFromLifetime', () => {
  it('makes a 90-day certificate due after 60 days, with a third of its lifetime left', () => {
    expect(renewalDueFromLifetime(t0, at(90 * DAY))).toEqual(at(60 * DAY));
  });

  it('makes a 45-day certificate due after 30 days', () => {
    expect(renewalDueFromLifetime(t0, at(45 * DAY))).toEqual(at(30 * DAY));
  });

  it('makes a 6-day certificate due after 3 days, with half of its lifetime left', () => {
    expect(renewalDueFromLifetime(t0, at(6 * DAY))).toEqual(at(3 * DAY));
  });

  it('treats a lifetime of exactly 10 days as long: due with a third left', () => {
    const lifetime = 10 * DAY;
    expect(renewalDueFromLifetime(t0, at(lifetime))).toEqual(at(lifetime - lifetime / 3));
  });

  it('treats a lifetime just under 10 days as short: due with half left', () => {
    const lifetime = 10 * DAY - 2;
    expect(renewalDueFromLifetime(t0, at(lifetime))).toEqual(at(lifetime / 2));
  });
});

describe('renewalDueFromWindow', () => {
  const window = { start: at(60 * DAY), end: at(62 * DAY) };

  it('picks the start of the window for random 0', () => {
    expect(renewalDueFromWindow(window, 0)).toEqual(window.start);
  });

  it('picks a moment near the end of the window for random 0.999', () => {
    const due = renewalDueFromWindow(window, 0.999);
    expect(due.getTime()).toBe(window.start.getTime() + Math.floor(2 * DAY * 0.999));
    expect(due < window.end).toBe(true);
  });

  it('picks the middle of the window for random 0.5', () => {
    expect(renewalDueFromWindow(window, 0.5)).toEqual(at(61 * DAY));
  });

  it('clamps a negative random to the start of the window', () => {
    expect(renewalDueFromWindow(window, -0.5)).toEqual(window.start);
  });

  it('clamps a random of 1 or more to just before the end of the window', () => {
    for (const random of [1, 7]) {
      const due = renewalDueFromWindow(window, random);
      expect(due >= window.start).toBe(true);
      expect(due < window.end).toBe(true);
      expect(window.end.getTime() - due.getTime()).toBeLessThan(MINUTE);
    }
  });

  it('picks the start when the window ends before it starts', () => {
    const inverted = { start: at(62 * DAY), end: at(60 * DAY) };
    expect(renewalDueFromWindow(inverted, 0.7)).toEqual(inverted.start);
  });
});

describe('nextRetryAt', () => {
  const now = at(10 * DAY);

  it('retries at once after no failure', () => {
    expect(nextRetryAt(0, now)).toEqual(now);
  });

  it.each([
    [1, MINUTE],
    [2, 10 * MINUTE],
    [3, 100 * MINUTE],
    [4, DAY],
    [10, DAY],
  ])('waits the backoff delay after %i consecutive failure(s)', (failures, delay) => {
    expect(nextRetryAt(failures, now)).toEqual(new Date(now.getTime() + delay));
  });

  it('honours a Retry-After later than the backoff', () => {
    const retryAfter = new Date(now.getTime() + 3 * HOUR);
    expect(nextRetryAt(1, now, retryAfter)).toEqual(retryAfter);
  });

  it('ignores a Retry-After earlier than the backoff', () => {
    const retryAfter = new Date(now.getTime() + 30_000);
    expect(nextRetryAt(2, now, retryAfter)).toEqual(new Date(now.getTime() + 10 * MINUTE));
  });

  it('honours a Retry-After in the future even after no failure', () => {
    const retryAfter = new Date(now.getTime() + HOUR);
    expect(nextRetryAt(0, now, retryAfter)).toEqual(retryAfter);
  });
});

describe('reissueAllowance', () => {
  const now = at(30 * DAY);
  const ago = (ms: number): Date => new Date(now.getTime() - ms);

  it('allows 3 re-issues when there was none', () => {
    expect(reissueAllowance([], now)).toEqual({ remaining: 3, nextAllowedAt: undefined, recent: [] });
  });

  it('allows 2 more after one recent re-issue', () => {
    const allowance = reissueAllowance([ago(HOUR)], now);
    expect(allowance.remaining).toBe(2);
    expect(allowance.nextAllowedAt).toBeUndefined();
    expect(allowance.recent).toEqual([ago(HOUR)]);
  });

  it('allows 1 more after two recent re-issues', () => {
    const allowance = reissueAllowance([ago(HOUR), ago(2 * DAY)], now);
    expect(allowance.remaining).toBe(1);
    expect(allowance.nextAllowedAt).toBeUndefined();
  });

  it('allows none after three recent re-issues, until the oldest of them is 7 days old', () => {
    const history = [ago(HOUR), ago(5 * DAY), ago(2 * DAY)];
    const allowance = reissueAllowance(history, now);
    expect(allowance.remaining).toBe(0);
    expect(allowance.nextAllowedAt).toEqual(new Date(ago(5 * DAY).getTime() + 7 * DAY));
    expect(allowance.recent).toEqual([ago(5 * DAY), ago(2 * DAY), ago(HOUR)]);
  });

  it('waits for the oldest of the last three when there were more than three', () => {
    const history = [ago(6 * DAY), ago(4 * DAY), ago(2 * DAY), ago(HOUR)];
    const allowance = reissueAllowance(history, now);
    expect(allowance.remaining).toBe(0);
    expect(allowance.nextAllowedAt).toEqual(new Date(ago(4 * DAY).getTime() + 7 * DAY));
  });

  it('ignores re-issues older than 7 days', () => {
    const history = [ago(8 * DAY), ago(7 * DAY), ago(30 * DAY), ago(HOUR)];
    const allowance = reissueAllowance(history, now);
    expect(allowance.remaining).toBe(2);
    expect(allowance.nextAllowedAt).toBeUndefined();
    expect(allowance.recent).toEqual([ago(HOUR)]);
  });

  it('does not reorder the history it is given', () => {
    const history = [ago(HOUR), ago(2 * DAY)];
    reissueAllowance(history, now);
    expect(history).toEqual([ago(HOUR), ago(2 * DAY)]);
  });
});

describe('ariCertificateId', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'renewal-spec-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** A self-signed P-256 certificate made by openssl with the given serial and extra extensions, as a file. */
  function certificate(name: string, serial: string, extensions: string[]): string {
    const certPath = join(dir, `${name}.pem`);
    writeFileSync(certPath, selfSigned({ subject: '/CN=x', days: 1, serial, extensions }).certificatePem);
    return certPath;
  }

  /** The AKI keyIdentifier as openssl prints it, as base64url. */
  function akiBase64url(certPath: string): string {
    const text = execFileSync('openssl', ['x509', '-noout', '-ext', 'authorityKeyIdentifier', '-in', certPath], {
      encoding: 'utf8',
    });
    const hex = /((?:[0-9A-F]{2}:)+[0-9A-F]{2})/i.exec(text)?.[1];
    if (!hex) throw new Error(`no key identifier in: ${text}`);
    return Buffer.from(hex.replace(/:/g, ''), 'hex').toString('base64url');
  }

  it('joins the AKI key id and the DER serial with a dot, with a leading zero byte for a high serial', () => {
    const certPath = certificate('high', '0x87654321', ['authorityKeyIdentifier=keyid:always']);
    const id = ariCertificateId(readFileSync(certPath, 'utf8'));
    const [keyId, serial, ...rest] = id.split('.');
    expect(rest).toEqual([]);
    // RFC 9773 §4.1's example serial 0x87654321 encodes as 00 87 65 43 21.
    expect(serial).toBe('AIdlQyE');
    expect(keyId).toBe(akiBase64url(certPath));
  });

  it('adds no leading zero byte to a serial without the high bit set', () => {
    const certPath = certificate('low', '0x1234', ['authorityKeyIdentifier=keyid:always']);
    const id = ariCertificateId(readFileSync(certPath, 'utf8'));
    expect(id.split('.')[1]).toBe(Buffer.from([0x12, 0x34]).toString('base64url'));
    expect(id.split('.')[0]).toBe(akiBase64url(certPath));
  });

  it('throws for a certificate without an Authority Key Identifier', () => {
    const certPath = certificate('no-aki', '0x1234', ['authorityKeyIdentifier=none', 'subjectKeyIdentifier=none']);
    expect(execFileSync('openssl', ['x509', '-noout', '-text', '-in', certPath], { encoding: 'utf8' })).not.toContain(
      'Authority Key Identifier',
    );
    expect(() => ariCertificateId(readFileSync(certPath, 'utf8'))).toThrow('no Authority Key Identifier');
  });
});
