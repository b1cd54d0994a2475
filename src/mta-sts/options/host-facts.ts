import { hostname } from 'node:os';
import { runSync } from '../adapters/child-process.runner';
import { readTextFileSync } from '../adapters/fs.file-store';

/** A user of this system, as nginx's `user` directive names it. */
export interface SystemUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/**
 * What the options depend on besides their values: facts about this machine, read while
 * the options are checked at start-up. The resolver is pure given them; tests pass their own.
 */
export interface HostFacts {
  /** The user with this name or uid, or undefined when there is none; throws when it cannot be looked up. */
  user(nameOrUid: string): SystemUser | undefined;
  /** A file's text (an option's PEM file); throws the read error. */
  readText(file: string): string;
  /** This machine's host name. */
  hostname(): string;
}

/** The `passwd` line of a user name or uid, through NSS (`getent`), else /etc/passwd. */
function passwdLine(user: string): string | undefined {
  try {
    return runSync('getent', ['passwd', user], 10_000);
  } catch (error) {
    // getent exits with 2 when the user does not exist.
    if ((error as { status?: number }).status === 2) return undefined;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const byNameOrUid = (line: string) => {
    const [name, , uid] = line.split(':');
    return name === user || uid === user;
  };
  return readTextFileSync('/etc/passwd').split('\n').find(byNameOrUid);
}

/** This machine, as it is. */
export const SYSTEM_HOST_FACTS: HostFacts = {
  user(nameOrUid) {
    const line = passwdLine(nameOrUid);
    const [name, , uid, gid] = (line ?? '').trim().split(':');
    if (!line || !/^\d+$/.test(uid ?? '') || !/^\d+$/.test(gid ?? '')) return undefined;
    return { name, uid: Number(uid), gid: Number(gid) };
  },
  readText: readTextFileSync,
  hostname,
};
