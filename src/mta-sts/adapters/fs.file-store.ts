import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FileStore } from '../ports/file-store.port';

/** Directories the module creates are world-traversable: nginx workers read policy files. */
const DIR_MODE = 0o755;

/** `fs` behind the `FileStore` port. */
export class FsFileStore extends FileStore {
  async writeAtomic(path: string, data: string, mode: number): Promise<void> {
    const dir = dirname(path);
    await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
    // The temporary name starts with a dot and ends in .tmp so nginx's `*.conf` include
    // never picks it up and a crash leaves something recognisable.
    const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await fs.open(temp, 'wx', mode);
    try {
      await handle.writeFile(data, 'utf8');
      await handle.chmod(mode); // the umask may have narrowed `mode`
      await handle.sync();
    } catch (error) {
      await handle.close();
      await fs.rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    try {
      await fs.rename(temp, path);
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw error;
    }
    const dirHandle = await fs.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }

  async read(path: string): Promise<string | undefined> {
    try {
      return await fs.readFile(path, 'utf8');
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
}
