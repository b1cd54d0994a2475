import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { Service, waitFor } from './processes';

/**
 * A real nginx with its own prefix, config and pid file. The module under test writes
 * into `sitesDir` and calls `nginx <args> -t` / `-s reload` like it would in production.
 */
export class Nginx {
  private service?: Service;
  readonly prefix: string;
  readonly sitesDir: string;
  readonly configFile: string;

  /** `launcher`: a command nginx runs under, e.g. `ip netns exec <ns>` for a node's own network. */
  constructor(
    dir: string,
    private readonly launcher: readonly string[] = [],
  ) {
    this.prefix = join(dir, 'nginx');
    this.sitesDir = join(this.prefix, 'sites');
    this.configFile = join(this.prefix, 'nginx.conf');
  }

  /** What the module passes before every nginx command (`MTA_STS_NGINX_ARGS`). */
  get args(): string[] {
    return ['-p', this.prefix, '-c', this.configFile];
  }

  get pidFile(): string {
    return join(this.prefix, 'nginx.pid');
  }

  get errorLog(): string {
    return join(this.prefix, 'error.log');
  }

  /**
   * The user nginx's workers run as (`MTA_STS_NGINX_WORKER_USER`): started as root with
   * no `user` directive, nginx falls back to its built-in `nobody`; started by anyone
   * else, its workers stay that user.
   */
  get workerUser(): string {
    return process.getuid?.() === 0 ? 'nobody' : userInfo().username;
  }

  /** The pids of the master's workers that serve (Linux); a reload replaces them. */
  workerPids(): number[] {
    const master = readFileSync(this.pidFile, 'utf8').trim();
    const serving = (pid: string) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmdline.startsWith('nginx: worker process') && !cmdline.includes('shutting down');
      } catch {
        return false; // it has just exited
      }
    };
    return readFileSync(`/proc/${master}/task/${master}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((pid) => pid !== '' && serving(pid))
      .map(Number);
  }

  async start(): Promise<void> {
    mkdirSync(join(this.prefix, 'tmp'), { recursive: true });
    mkdirSync(this.sitesDir, { recursive: true });
    const p = this.prefix;
    writeFileSync(
      this.configFile,
      [
        'worker_processes 1;',
        `pid ${p}/nginx.pid;`,
        `error_log ${p}/error.log info;`,
        'events { worker_connections 256; }',
        'http {',
        `    access_log ${p}/access.log;`,
        `    client_body_temp_path ${p}/tmp/client;`,
        `    proxy_temp_path ${p}/tmp/proxy;`,
        `    fastcgi_temp_path ${p}/tmp/fastcgi;`,
        `    uwsgi_temp_path ${p}/tmp/uwsgi;`,
        `    scgi_temp_path ${p}/tmp/scgi;`,
        `    include ${this.sitesDir}/*.conf;`,
        '}',
        '',
      ].join('\n'),
    );
    const [command, ...prefix] = [...this.launcher, 'nginx'];
    this.service = Service.start(
      'nginx',
      command,
      [...prefix, ...this.args, '-g', 'daemon off;'],
      join(p, 'stdout.log'),
    );
    await waitFor('nginx to start', async () => {
      if (!this.service?.running) {
        throw new Error(`nginx ${this.service?.describeExit()}: ${readFileSync(this.errorLog, 'utf8')}`);
      }
      try {
        return readFileSync(join(p, 'nginx.pid'), 'utf8').trim() === String(this.service.child.pid);
      } catch {
        return false;
      }
    });
  }

  async stop(): Promise<void> {
    await this.service?.stop();
    this.service = undefined;
  }
}
