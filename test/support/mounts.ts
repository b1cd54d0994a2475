import { execFileSync } from 'node:child_process';

/**
 * File system faults made for real (needs root): a directory mounted over itself
 * read-only, or a tiny tmpfs that fills up. Root ignores permissions, not a read-only
 * mount or a full file system. `undo()` removes them, newest first.
 */
export class FaultMounts {
  private readonly mounted: string[] = [];

  /** Makes `dir` read-only for everyone, root included. */
  readOnly(dir: string): void {
    execFileSync('mount', ['--bind', dir, dir]);
    this.mounted.push(dir);
    execFileSync('mount', ['-o', 'remount,bind,ro', dir]);
  }

  /** Mounts an empty file system of `size` (e.g. `16k`) over `dir`. */
  small(dir: string, size: string): void {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=755`, 'tmpfs', dir]);
    this.mounted.push(dir);
  }

  undo(): void {
    for (const dir of this.mounted.splice(0).reverse()) execFileSync('umount', ['-l', dir]);
  }
}
