/** Who owns a file, as numbers (what `chown` takes). */
export interface FileOwner {
  readonly uid: number;
  readonly gid: number;
}

/** What the module needs to know about an existing file (links followed). */
export interface FileStatus {
  readonly uid: number;
  readonly gid: number;
  /** Permission bits only, e.g. 0o600. */
  readonly mode: number;
  readonly modifiedMs: number;
  /** Size in bytes. */
  readonly size: number;
  /** The inode number, as text (it may not fit a double): a log rotated away has another. */
  readonly inode: string;
}

/** The file system, as the module uses it: atomic writes with explicit modes. */
export abstract class FileStore {
  /**
   * Writes temp file, fsync, rename, fsync directory. Creates parent directories (0755).
   * With `owner`, the temporary file gets that owner before the rename, so the file
   * never exists under its name with another owner.
   */
  abstract writeAtomic(path: string, data: string, mode: number, owner?: FileOwner): Promise<void>;
  /** The file's text, or undefined when it does not exist. */
  abstract read(path: string): Promise<string | undefined>;
  /** Removes a file or a symbolic link (never what the link points to); no error when it is already gone. */
  abstract remove(path: string): Promise<void>;
  /** Creates a directory (and parents) with the given mode, and applies the mode. */
  abstract ensureDir(path: string, mode: number): Promise<void>;
  /**
   * Makes `path` a symbolic link to `target`: a link under a temporary name renamed over
   * `path`, so a reader sees the old link or the new one, never none.
   */
  abstract symlinkAtomic(target: string, path: string): Promise<void>;
  /** Where a symbolic link points, or undefined when `path` is not a link (or does not exist). */
  abstract readLink(path: string): Promise<string | undefined>;
  /** Owner, mode and modification time, following links; undefined when nothing is there. */
  abstract stat(path: string): Promise<FileStatus | undefined>;
  /** Gives an existing file (links followed) this owner and mode. */
  abstract setOwner(path: string, owner: FileOwner, mode: number): Promise<void>;
  /** Up to `length` bytes from `offset`; empty at or past the end, undefined when the file does not exist. */
  abstract readBytes(path: string, offset: number, length: number): Promise<Buffer | undefined>;
  /** The names in a directory; empty when the directory does not exist. */
  abstract list(dir: string): Promise<string[]>;
}
