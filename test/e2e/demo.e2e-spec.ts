import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/processes';

/** Runs `scripts/demo.ts` as `npm run demo` does after its set-up, and answers how it ended. */
function runDemo(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(join('node_modules', '.bin', 'tsx'), ['scripts/demo.ts'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('npm run demo while another one runs', () => {
  let taken: Server;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', () => resolve()));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  });

  it('refuses to start when the panel port is taken, says what to do, and starts nothing', async () => {
    // A temporary directory of its own: other specs make labs of their own meanwhile.
    const scratch = mkdtempSync(join(tmpdir(), 'mta-sts-demo-'));
    const { code, output } = await runDemo({ PORT: String(port), HOST: '127.0.0.1', TMPDIR: scratch });
    expect(code).toBe(2);
    expect(output).toContain(`Port ${port} on 127.0.0.1 is already in use, perhaps by another \`npm run demo\`.`);
    expect(output).toContain(`PORT=${port + 1} npm run demo`);
    expect(output).not.toContain('Starting dnsmasq');
    expect(readdirSync(scratch).filter((name) => name.startsWith('mta-sts-lab-'))).toEqual([]);
    rmSync(scratch, { recursive: true });
  });
});
