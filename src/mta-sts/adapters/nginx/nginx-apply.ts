import { dirname } from 'node:path';
import { OperationFailedError } from '../../domain/errors';
import { FileStore } from '../../ports/file-store.port';
import { ProcessRunner } from '../../ports/process-runner.port';
import { nginxTestAdvice } from './nginx-errors';

/** How long to wait for the master to replace its workers after a reload signal. */
const RELOAD_SETTLE_MS = 5_000;
const RELOAD_POLL_MS = 20;
/** Config files are not secret; nginx's master reads them as root anyway. */
const CONFIG_MODE = 0o644;

/** One file of a change to nginx's configuration. */
export interface FileChange {
  readonly path: string;
  /** New content, or null to remove the file. */
  readonly content: string | null;
}

export interface NginxCommand {
  readonly bin: string;
  /** Extra arguments for every nginx call, e.g. `-p DIR -c FILE`. */
  readonly args: readonly string[];
  readonly sitesDir: string;
  /** nginx's pid file, to see when a reload has taken effect. */
  readonly pidFile: string;
  readonly commandTimeoutMs: number;
  /** A log file the configuration names: its directory is made before nginx tests it. */
  readonly fetchLog?: string;
}

/**
 * The one owner of write, test, reload and roll back. Changed files are written
 * atomically, `nginx -t` must pass, then nginx reloads and the old workers are waited
 * out; on any failure the previous files come back and nginx reloads again, so the
 * configuration that was serving keeps serving and the next restart still starts.
 * Work runs one at a time: two interleaved applies could roll back each other's files.
 */
export class NginxApplyEngine {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly command: NginxCommand,
    private readonly files: FileStore,
    private readonly processes: ProcessRunner,
  ) {}

  serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Writes the changes that change something, tests, reloads; rolls back on failure. */
  async apply(changes: readonly FileChange[]): Promise<void> {
    const previous = new Map<string, string | undefined>();
    for (const change of changes) previous.set(change.path, await this.files.read(change.path));
    const effective = changes.filter((change) => (previous.get(change.path) ?? null) !== change.content);
    if (effective.length === 0) return;

    await this.files.ensureDir(this.command.sitesDir, 0o755);
    await this.ensureLogDir();
    try {
      await this.write(effective);
      await this.testAndReload();
    } catch (error) {
      await this.write(effective.map((change) => ({ path: change.path, content: previous.get(change.path) ?? null })));
      // Restore the running state too: a failed reload may have left nginx half-told.
      await this.reloadNginx().catch(() => undefined);
      throw error;
    }
  }

  async testAndReload(): Promise<void> {
    await this.ensureLogDir();
    await this.testConfig();
    await this.reloadNginx();
  }

  /** nginx's master (root) writes the fetch log; the panel reads it. Client addresses: not for other users. */
  private async ensureLogDir(): Promise<void> {
    if (!this.command.fetchLog) return;
    const dir = dirname(this.command.fetchLog);
    if (await this.files.stat(dir)) return;
    // A parent made here (the data directory on a first start) stays traversable for nginx's
    // workers; an existing one is left as it is.
    if (!(await this.files.stat(dirname(dir)))) await this.files.ensureDir(dirname(dir), 0o755);
    await this.files.ensureDir(dir, 0o700);
  }

  /** Whether an nginx master is running (its pid file names a live process with workers). */
  async running(): Promise<boolean> {
    return (await this.workers()) !== undefined;
  }

  /** Why `nginx -t` fails, in one line with the fix it points to; undefined when it passes. */
  async configurationProblem(): Promise<string | undefined> {
    const failure = await this.runConfigTest();
    if (!failure) return undefined;
    const stderr = failure.stderr.trim();
    const last = stderr.split('\n').find((line) => /\[emerg\]|\[crit\]/.test(line)) ?? stderr;
    return `nginx -t fails: ${last.replace(/^.*\[(emerg|crit)\] \d+#\d+: /, '')}${failure.advice ? ` ${failure.advice}` : ''}`;
  }

  private async write(changes: readonly FileChange[]): Promise<void> {
    for (const change of changes) {
      if (change.content === null) await this.files.remove(change.path);
      else await this.files.writeAtomic(change.path, change.content, CONFIG_MODE);
    }
  }

  private async testConfig(): Promise<void> {
    const failure = await this.runConfigTest();
    if (failure) {
      throw new OperationFailedError(
        `nginx rejected the new configuration (nginx -t failed); the previous configuration is still serving.${failure.advice ? ` ${failure.advice}` : ''}`,
        failure.stderr,
      );
    }
  }

  /** Runs `nginx -t`: undefined when the configuration loads, else its output and the fix it points to. */
  private async runConfigTest(): Promise<{ stderr: string; advice?: string } | undefined> {
    const result = await this.nginx(['-t']);
    return result.code === 0 ? undefined : { stderr: result.stderr, advice: nginxTestAdvice(result.stderr) };
  }

  private async reloadNginx(): Promise<void> {
    const before = await this.workers();
    const result = await this.nginx(['-s', 'reload']);
    if (result.code !== 0) {
      const notRunning = /nginx\.pid|invalid PID|No such process/i.test(result.stderr);
      throw new OperationFailedError(
        notRunning
          ? 'nginx is not running, so the new configuration could not be loaded. Start nginx and try again.'
          : 'nginx could not reload; the previous configuration is still serving.',
        result.stderr,
      );
    }
    await this.settle(before);
  }

  /**
   * `nginx -s reload` only signals the master and returns; until the master has started
   * new workers, the old ones keep answering with the old configuration. Waiting for the
   * old workers to be replaced makes "applied" mean "serving".
   */
  private async settle(before: ReadonlySet<string> | undefined): Promise<void> {
    if (!before || before.size === 0) return;
    const deadline = Date.now() + RELOAD_SETTLE_MS;
    while (Date.now() < deadline) {
      const now = await this.workers();
      if (!now || ![...now].some((pid) => before.has(pid))) return;
      await new Promise((resolve) => setTimeout(resolve, RELOAD_POLL_MS));
    }
  }

  /** The pids of the master's workers that still accept connections (Linux /proc). */
  private async workers(): Promise<Set<string> | undefined> {
    const master = (await this.files.read(this.command.pidFile).catch(() => undefined))?.trim();
    if (!master || !/^\d+$/.test(master)) return undefined;
    const children = await this.files.read(`/proc/${master}/task/${master}/children`).catch(() => undefined);
    if (children === undefined) return undefined;
    const active = new Set<string>();
    for (const pid of children.split(' ').filter(Boolean)) {
      const cmdline = await this.files.read(`/proc/${pid}/cmdline`).catch(() => undefined);
      if (cmdline?.startsWith('nginx: worker process') && !cmdline.includes('shutting down')) active.add(pid);
    }
    return active;
  }

  private nginx(args: readonly string[]) {
    return this.processes.run(this.command.bin, [...this.command.args, ...args], this.command.commandTimeoutMs);
  }
}
