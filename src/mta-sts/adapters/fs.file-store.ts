import { randomBytes } from 'node:crypto';
import { promises as fs, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FileOwner, FileStatus, FileStore } from '../ports/file-store.port';

/** Directories the module creates are world-traversable: nginx workers read policy files. */
const DIR_MODE = 0o755;

function missing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * The temporary name starts with a dot and ends in .tmp so nginx's `*.conf` include (and
 * the shared layout's `<host>.pem` lookup) never picks it up and a crash leaves something
 * recognisable.
 */
function temporaryName(path: string): string {
  // A file name has at most 255 bytes (NAME_MAX); a long domain's name is shortened here,
  // the random part keeps it unique. Names are A-labels, so characters are bytes.
  const suffix = `.${randomBytes(6).toString('hex')}.tmp`;
  return join(dirname(path), `.${basename(path).slice(0, NAME_MAX - 1 - suffix.length)}${suffix}`);
}

/** The longest file name Linux file systems take, in bytes. */
const NAME_MAX = 255;

async function syncDir(dir: string): Promise<void> {
  const dirHandle = await fs.open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/** Renames a finished temporary file over `path` (removing it if that fails) and syncs the directory. */
async function renameIntoPlace(temp: string, path: string): Promise<void> {
  try {
    await fs.rename(temp, path);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  await syncDir(dirname(path));
}

/** `fs` behind the `FileStore` port. */
export class FsFileStore extends FileStore {
  async writeAtomic(path: string, data: string, mode: number, owner?: FileOwner): Promise<void> {
    const dir = dirname(path);
    await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
    const temp = temporaryName(path);
    const handle = await fs.open(temp, 'wx', mode);
    try {
      await handle.writeFile(data, 'utf8');
      if (owner) await handle.chown(owner.uid, owner.gid);
      await handle.chmod(mode); // the umask may have narrowed `mode`
      await handle.sync();
    } catch (error) {
      await handle.close();
      await fs.rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    await renameIntoPlace(temp, path);
  }

  /**
   * Read in one system call: the files the module reads are small (policies, bundles,
   * pid files), and `fs.promises.readFile` spends four trips through the thread pool
   * (open, stat, read, close) on each, which a sweep over thousands of domains pays.
   */
  async read(path: string): Promise<string | undefined> {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async remove(path: string): Promise<void> {
    await fs.rm(path, { force: true });
  }

  async ensureDir(path: string, mode: number): Promise<void> {
    await fs.mkdir(path, { recursive: true, mode });
    await fs.chmod(path, mode);
  }

  async symlinkAtomic(target: string, path: string): Promise<void> {
    const dir = dirname(path);
    await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
    const temp = temporaryName(path);
    await fs.symlink(target, temp);
    await renameIntoPlace(temp, path);
  }

  async readLink(path: string): Promise<string | undefined> {
    try {
      return await fs.readlink(path);
    } catch (error) {
      // EINVAL: there is something, but not a link.
      if (missing(error) || (error as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
      throw error;
    }
  }

  async stat(path: string): Promise<FileStatus | undefined> {
    try {
      const stats = await fs.stat(path, { bigint: true });
      return {
        uid: Number(stats.uid),
        gid: Number(stats.gid),
        mode: Number(stats.mode) & 0o7777,
        modifiedMs: Number(stats.mtimeMs),
        size: Number(stats.size),
        inode: String(stats.ino),
      };
    } catch (error) {
      if (missing(error)) return undefined;
      throw error;
    }
  }

  async readBytes(path: string, offset: number, length: number): Promise<Buffer | undefined> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(path, 'r');
    } catch (error) {
      if (missing(error)) return undefined;
      throw error;
    }
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async setOwner(path: string, owner: FileOwner, mode: number): Promise<void> {
    await fs.chown(path, owner.uid, owner.gid);
    // After chown: changing the owner may clear set-id bits, never the other way round.
    await fs.chmod(path, mode);
  }

  async list(dir: string): Promise<string[]> {
    try {
      return await fs.readdir(dir);
    } catch (error) {
      if (missing(error)) return [];
      throw error;
    }
  }
}

/**
 * Reading at start-up, synchronously: the package's own templates and views, and the
 * files options name (PEM files, /etc/passwd). Everything else goes through `FileStore`.
 */
export function readTextFileSync(path: string): string {
  return readFileSync(path, 'utf8');
}

/** The names in a directory of the package (its views). */
export function listDirSync(path: string): string[] {
  return readdirSync(path);
}
