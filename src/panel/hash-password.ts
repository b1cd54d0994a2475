/**
 * `npm run hash-password`: reads a password from standard input (or prompts for it) and
 * prints the hash to put in MTA_STS_USERS as `name:role:<hash>`.
 */
import { createInterface } from 'node:readline';
import { hashPassword } from './auth/passwords';

async function readPassword(): Promise<string> {
  const lines = createInterface({
    input: process.stdin,
    output: process.stdin.isTTY ? process.stderr : undefined,
    terminal: false,
  });
  if (process.stdin.isTTY) process.stderr.write('Password: ');
  for await (const line of lines) return line;
  return '';
}

void (async () => {
  const password = await readPassword();
  if (password.length < 10) {
    process.stderr.write('Use a password of at least 10 characters.\n');
    process.exit(2);
  }
  process.stdout.write(`${await hashPassword(password)}\n`);
})();
