import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const UNIT = join(ROOT, 'deploy', 'mta-sts.service');
const unit = readFileSync(UNIT, 'utf8');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

/** The systemd unit the README tells admins to install. */
describe('deploy/mta-sts.service', () => {
  it('is a unit systemd accepts', () => {
    // systemd-analyze checks the syntax, every option name and that ExecStart's program exists.
    expect(existsSync('/usr/bin/systemd-analyze')).toBe(true);
    expect(existsSync('/usr/bin/node')).toBe(true);
    const output = execFileSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8', stdio: 'pipe' });
    expect(output).toBe('');
  });

  it('runs the panel as npm start does, from a 0600 environment file, and restarts it on failure', () => {
    const start = manifest.scripts.start.replace(/^node /, '');
    expect(unit).toContain(`ExecStart=/usr/bin/node ${start}\n`);
    expect(unit).toContain('EnvironmentFile=/etc/mta-sts.env\n');
    expect(unit).toContain('install -m 0600 -o root -g root .env.example /etc/mta-sts.env');
    expect(unit).toContain('Restart=on-failure\n');
    expect(unit).toMatch(/^\[Unit\]$[\s\S]*^\[Service\]$[\s\S]*^\[Install\]$/m);
  });

  it('fences the root it runs as, and still lets nginx -t and the reload work', () => {
    for (const option of [
      'ProtectSystem=strict',
      'NoNewPrivileges=yes',
      'PrivateTmp=yes',
      'ProtectHome=yes',
      'ProtectKernelModules=yes',
      'RestrictSUIDSGID=yes',
    ]) {
      expect(unit).toContain(`${option}\n`);
    }
    // The sites directory and what `nginx -t` writes stay writable; the data directory is the StateDirectory.
    expect(unit).toMatch(/^ReadWritePaths=.*\/etc\/nginx\/conf\.d.*-\/var\/log\/nginx.*-\/var\/lib\/nginx/m);
    expect(unit).toContain('StateDirectory=mta-sts\n');
    // Node's JIT needs writable, executable memory.
    expect(unit).not.toMatch(/^MemoryDenyWriteExecute=yes/m);
  });

  it('is the unit the README shows', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(unit);
  });
});
