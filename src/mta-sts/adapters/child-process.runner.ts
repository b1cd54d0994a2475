import { execFileSync, spawn } from 'node:child_process';
import { ProcessResult, ProcessRunner } from '../ports/process-runner.port';

/** Output beyond this is dropped; nginx's messages are short. */
const MAX_OUTPUT = 64 * 1024;

/** `child_process` behind the `ProcessRunner` port. */
export class ChildProcessRunner extends ProcessRunner {
  run(command: string, args: readonly string[], timeoutMs: number): Promise<ProcessResult> {
    return new Promise((resolve) => {
      let stdout = '';
      let stderr = '';
      const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      const timer = setTimeout(() => {
        stderr += `\n${command} did not finish within ${timeoutMs} ms and was stopped`;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => {
        if (stdout.length < MAX_OUTPUT) stdout += chunk.toString('utf8');
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (stderr.length < MAX_OUTPUT) stderr += chunk.toString('utf8');
      });
      child.on('error', (error) => {
        clearTimeout(timer);
        resolve({ code: null, stdout, stderr: `${stderr}${error.message}` });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr: stderr.trim() });
      });
    });
  }
}

/**
 * A short command at start-up, synchronously (a user look-up while the options are
 * checked): its output, or the failure with `status` (its exit code) or `code` (ENOENT).
 */
export function runSync(command: string, args: readonly string[], timeoutMs: number): string {
  return execFileSync(command, [...args], { encoding: 'utf8', timeout: timeoutMs, stdio: 'pipe' });
}
