import type { PageRole } from '../../index';
import { InvalidSettingError } from '../settings-error';
import { hashPassword, isPasswordHash, verifyPassword } from './passwords';

export interface PanelUser {
  readonly name: string;
  readonly role: PageRole;
  readonly passwordHash: string;
}

/**
 * Reads `MTA_STS_USERS`: comma-separated `name:role:hash` entries, role `admin` or
 * `viewer`, hash from `npm run hash-password`.
 */
export function parseUsers(value: string | undefined): PanelUser[] {
  if (!value || value.trim() === '') return [];
  const users: PanelUser[] = [];
  const entries = value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  for (const [index, entry] of entries.entries()) {
    const [name, role, passwordHash, ...rest] = entry.split(':');
    if (rest.length > 0 || !name || !role || !passwordHash) {
      // The entry is not repeated: it may hold a password typed where the hash belongs.
      throw new InvalidSettingError('MTA_STS_USERS', `entry ${index + 1} is not name:role:hash`);
    }
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) {
      throw new InvalidSettingError('MTA_STS_USERS', `user name "${name}" may hold letters, digits and . _ @ - only`);
    }
    if (role !== 'admin' && role !== 'viewer') {
      throw new InvalidSettingError('MTA_STS_USERS', `role "${role}" of ${name} must be admin or viewer`);
    }
    if (!isPasswordHash(passwordHash)) {
      throw new InvalidSettingError(
        'MTA_STS_USERS',
        `the password of ${name} must be a hash from "npm run hash-password"`,
      );
    }
    if (users.some((user) => user.name === name)) {
      throw new InvalidSettingError('MTA_STS_USERS', `${name} is listed twice`);
    }
    users.push({ name, role, passwordHash });
  }
  return users;
}

/** Compared even for unknown names, so timing does not tell which names exist. */
let dummyHash: Promise<string> | undefined;

export async function authenticate(
  users: readonly PanelUser[],
  name: string,
  password: string,
): Promise<PanelUser | undefined> {
  const user = users.find((candidate) => candidate.name === name);
  dummyHash ??= hashPassword('not a password');
  const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash));
  return ok ? user : undefined;
}
