/** The file system, as the module uses it: atomic writes with explicit modes. */
export abstract class FileStore {
  /** Writes temp file, fsync, rename, fsync directory. Creates parent directories (0755). */
  abstract writeAtomic(path: string, data: string, mode: number): Promise<void>;
  /** The file's text, or undefined when it does not exist. */
  abstract read(path: string): Promise<string | undefined>;
  /** Removes a file; no error when it is already gone. */
  abstract remove(path: string): Promise<void>;
  /** Creates a directory (and parents) with the given mode, and applies the mode. */
  abstract ensureDir(path: string, mode: number): Promise<void>;
}
