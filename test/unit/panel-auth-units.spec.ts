import { createHmac } from 'node:crypto';
import type { CookieOptions, Request, Response } from 'express';
import { hashPassword, isPasswordHash, verifyPassword } from '../../src/panel/auth/passwords';
import { SESSION_COOKIE, SessionCookies } from '../../src/panel/auth/session';
import { authenticate, parseUsers } from '../../src/panel/auth/users';
import { InvalidSettingError } from '../../src/panel/settings-error';

const HOUR = 3_600_000;

describe('passwords', () => {
  it('hashes as scrypt$<16-byte salt>$<32-byte key> in base64url', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^scrypt\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    const [, salt, key] = hash.split('$');
    expect(Buffer.from(salt, 'base64url')).toHaveLength(16);
    expect(Buffer.from(key, 'base64url')).toHaveLength(32);
    // No separator of MTA_STS_USERS can appear in a hash.
    expect(hash).not.toMatch(/[,:]/);
    expect(isPasswordHash(hash)).toBe(true);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', hash)).toBe(false);
    expect(await verifyPassword('Correct horse battery staple', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('handles passwords beyond ASCII', async () => {
    const hash = await hashPassword('pässwörd—🔑');
    expect(await verifyPassword('pässwörd—🔑', hash)).toBe(true);
    expect(await verifyPassword('passwörd—🔑', hash)).toBe(false);
  });

  it('makes a different hash each time (random salt), each verifying the password', async () => {
    const hashes = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    expect(hashes[0]).not.toBe(hashes[1]);
    expect(hashes[0].split('$')[1]).not.toBe(hashes[1].split('$')[1]);
    for (const hash of hashes) expect(await verifyPassword('same password', hash)).toBe(true);
  });

  it('refuses anything that is not a scrypt hash', async () => {
    const hash = await hashPassword('secret password');
    for (const other of ['secret password', `bcrypt$${hash.slice(7)}`, 'scrypt$$', 'scrypt$abc', '']) {
      expect(await verifyPassword('secret password', other)).toBe(false);
      expect(isPasswordHash(other)).toBe(false);
    }
  });
});

describe('parseUsers', () => {
  let adminHash: string;
  let viewerHash: string;

  beforeAll(async () => {
    [adminHash, viewerHash] = await Promise.all([hashPassword('admin password'), hashPassword('viewer password')]);
  });

  function refusal(value: string): InvalidSettingError {
    try {
      parseUsers(value);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidSettingError);
      return error as InvalidSettingError;
    }
    throw new Error(`parseUsers accepted ${value}`);
  }

  it('reads no users from an unset or blank variable', () => {
    expect(parseUsers(undefined)).toEqual([]);
    expect(parseUsers('')).toEqual([]);
    expect(parseUsers('  ')).toEqual([]);
  });

  it('reads name:role:hash entries separated by commas, ignoring spaces and empty entries', () => {
    expect(parseUsers(` alice:admin:${adminHash} ,, bob.smith@example.com:viewer:${viewerHash},`)).toEqual([
      { name: 'alice', role: 'admin', passwordHash: adminHash },
      { name: 'bob.smith@example.com', role: 'viewer', passwordHash: viewerHash },
    ]);
  });

  it('refuses a role other than admin or viewer', () => {
    const error = refusal(`alice:root:${adminHash}`);
    expect(error.variable).toBe('MTA_STS_USERS');
    expect(error.message).toBe('MTA_STS_USERS: role "root" of alice must be admin or viewer');
    expect(refusal(`alice:Admin:${adminHash}`).message).toContain('role "Admin"');
  });

  it('refuses a plain password instead of a hash, without repeating it', () => {
    const error = refusal('alice:admin:correct-horse-battery');
    expect(error.message).toBe('MTA_STS_USERS: the password of alice must be a hash from "npm run hash-password"');
    expect(error.message).not.toContain('correct-horse-battery');
  });

  it('refuses the same name twice', () => {
    expect(refusal(`alice:admin:${adminHash},alice:viewer:${viewerHash}`).message).toBe(
      'MTA_STS_USERS: alice is listed twice',
    );
  });

  it('refuses entries that are not three fields', () => {
    expect(refusal('alice:admin').message).toBe('MTA_STS_USERS: entry 1 is not name:role:hash');
    expect(refusal(`alice:admin:${adminHash}:extra`).message).toMatch(/is not name:role:hash$/);
    expect(refusal(`:admin:${adminHash}`).message).toMatch(/is not name:role:hash$/);
  });

  it('refuses user names with characters other than letters, digits and . _ @ -', () => {
    expect(refusal(`al ice:admin:${adminHash}`).message).toBe(
      'MTA_STS_USERS: user name "al ice" may hold letters, digits and . _ @ - only',
    );
    expect(refusal(`${'a'.repeat(65)}:admin:${adminHash}`).message).toContain('may hold letters');
    expect(parseUsers(`${'a'.repeat(64)}:admin:${adminHash}`)).toHaveLength(1);
  });

  it('never repeats a plain password in its message, even one with a colon in it', () => {
    // Someone wrote name:password, or pasted a password with a colon where the hash belongs;
    // the error is printed at start-up, into logs.
    for (const entry of ['alice:hunter2hunter3', 'alice:admin:hunter2:hunter3']) {
      const error = refusal(entry);
      expect(error.variable).toBe('MTA_STS_USERS');
      expect(error.message).not.toContain('hunter2');
      expect(error.message).not.toContain('hunter3');
    }
  });

  it('authenticates by name and password, and refuses unknown names and wrong passwords alike', async () => {
    const users = parseUsers(`alice:admin:${adminHash},victor:viewer:${viewerHash}`);
    expect(await authenticate(users, 'alice', 'admin password')).toEqual(users[0]);
    expect(await authenticate(users, 'victor', 'viewer password')).toEqual(users[1]);
    expect(await authenticate(users, 'alice', 'viewer password')).toBeUndefined();
    expect(await authenticate(users, 'Alice', 'admin password')).toBeUndefined();
    expect(await authenticate(users, 'mallory', 'admin password')).toBeUndefined();
    expect(await authenticate([], 'alice', 'admin password')).toBeUndefined();
  });
});

describe('SessionCookies', () => {
  const SECRET = 's'.repeat(32);
  const START = Date.parse('2025-06-01T08:00:00Z');

  interface Issued {
    readonly name: string;
    readonly value: string;
    readonly options: CookieOptions;
  }

  /** A response that records the cookies set and cleared. */
  function fakeResponse() {
    const issued: Issued[] = [];
    const cleared: { name: string; options: CookieOptions }[] = [];
    const response = {
      cookie(name: string, value: string, options: CookieOptions) {
        issued.push({ name, value, options });
        return response;
      },
      clearCookie(name: string, options: CookieOptions) {
        cleared.push({ name, options });
        return response;
      },
    };
    return { response: response as unknown as Response, issued, cleared };
  }

  const requestWith = (cookie: string | undefined, secure = false) =>
    ({ headers: cookie === undefined ? {} : { cookie }, secure }) as unknown as Request;

  function issue(sessions: SessionCookies, user = 'alice', role: 'admin' | 'viewer' = 'admin', secure = false) {
    const { response, issued } = fakeResponse();
    sessions.issue(requestWith(undefined, secure), response, user, role);
    expect(issued).toHaveLength(1);
    return issued[0];
  }

  const sign = (payload: string, secret = SECRET) => createHmac('sha256', secret).update(payload).digest('base64url');
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('issues an HttpOnly, SameSite=Lax cookie for 12 hours, Secure over HTTPS', () => {
    const sessions = new SessionCookies(SECRET, () => START);
    const plain = issue(sessions);
    expect(plain.name).toBe(SESSION_COOKIE);
    expect(plain.value).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(plain.options).toEqual({ httpOnly: true, sameSite: 'lax', secure: false, path: '/', maxAge: 12 * HOUR });
    expect(issue(sessions, 'alice', 'admin', true).options.secure).toBe(true);
  });

  it('reads back the user, the role and the expiry', () => {
    const sessions = new SessionCookies(SECRET, () => START);
    const { value } = issue(sessions, 'victor', 'viewer');
    expect(sessions.read(requestWith(`${SESSION_COOKIE}=${value}`))).toEqual({
      user: 'victor',
      role: 'viewer',
      expires: START + 12 * HOUR,
      sid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    // Among other cookies, and URL-encoded as a browser may send it.
    expect(
      sessions.read(requestWith(`theme=dark; ${SESSION_COOKIE}=${encodeURIComponent(value)}; mta_sts_csrf=ab`))?.user,
    ).toBe('victor');
  });

  it('expires after 12 hours by the injected clock', () => {
    let now = START;
    const sessions = new SessionCookies(SECRET, () => now);
    const request = requestWith(`${SESSION_COOKIE}=${issue(sessions).value}`);
    now = START + 12 * HOUR - 1;
    expect(sessions.read(request)?.user).toBe('alice');
    now = START + 12 * HOUR;
    expect(sessions.read(request)?.user).toBe('alice');
    now = START + 12 * HOUR + 1;
    expect(sessions.read(request)).toBeUndefined();
  });

  it('refuses a cookie whose payload or signature was changed', () => {
    const sessions = new SessionCookies(SECRET, () => START);
    const { value } = issue(sessions, 'victor', 'viewer');
    const [payload, signature] = value.split('.');
    const session = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = [
      `${encode({ ...session, role: 'admin' })}.${signature}`,
      `${encode({ ...session, user: 'alice' })}.${signature}`,
      `${encode({ ...session, expires: START + 1000 * HOUR })}.${signature}`,
      `${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`,
      `${payload}.${signature.slice(1)}`,
      `${payload}.`,
      payload,
      `.${signature}`,
      '',
    ];
    for (const cookie of forged) {
      expect({ cookie, session: sessions.read(requestWith(`${SESSION_COOKIE}=${cookie}`)) }).toEqual({
        cookie,
        session: undefined,
      });
    }
    expect(sessions.read(requestWith(undefined))).toBeUndefined();
  });

  it('refuses a cookie signed with another secret', () => {
    const { value } = issue(new SessionCookies('o'.repeat(32), () => START));
    expect(new SessionCookies(SECRET, () => START).read(requestWith(`${SESSION_COOKIE}=${value}`))).toBeUndefined();
  });

  it('refuses a correctly signed payload without a known role, a numeric expiry or a session id, or that is not JSON', () => {
    const sessions = new SessionCookies(SECRET, () => START);
    for (const payload of [
      encode({ user: 'alice', role: 'root', expires: START + HOUR }),
      encode({ user: 'alice', expires: START + HOUR }),
      encode({ user: 'alice', role: 'admin', expires: String(START + HOUR) }),
      encode({ user: 'alice', role: 'admin' }),
      // No session id, or one the panel could not have made: nothing to revoke it by.
      encode({ user: 'alice', role: 'admin', expires: START + HOUR }),
      encode({ user: 'alice', role: 'admin', expires: START + HOUR, sid: 'short' }),
      Buffer.from('not json').toString('base64url'),
    ]) {
      expect(sessions.read(requestWith(`${SESSION_COOKIE}=${payload}.${sign(payload)}`))).toBeUndefined();
    }
    const good = encode({ user: 'alice', role: 'admin', expires: START + HOUR, sid: 'x'.repeat(43) });
    expect(sessions.read(requestWith(`${SESSION_COOKIE}=${good}.${sign(good)}`))?.role).toBe('admin');
  });

  it('clears the cookie on the whole site', () => {
    const { response, cleared } = fakeResponse();
    new SessionCookies(SECRET).clear(response);
    expect(cleared).toEqual([{ name: SESSION_COOKIE, options: { path: '/' } }]);
  });
});
