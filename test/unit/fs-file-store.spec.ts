import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsFileStore } from '../../src/mta-sts/adapters/fs.file-store';

const store = new FsFileStore();
let dir: string;
let savedUmask: number;

function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mta-sts-fs-'));
  // Start every test from the usual umask; reading it by setting it avoids the deprecated no-argument call.
  savedUmask = process.umask(0o022);
});

afterEach(() => {
  process.umask(savedUmask);
  rmSync(dir, { recursive: true, force: true });
});

describe('FsFileStore.writeAtomic', () => {
  it('writes the content exactly', async () => {
    const path = join(dir, 'policy.txt');
    const text = 'version: STSv1\r\nmode: testing\r\nmx: mx.bücher.example\r\nmax_age: 604800\r\n';
    await store.writeAtomic(path, text, 0o644);
    expect(readFileSync(path).equals(Buffer.from(text, 'utf8'))).toBe(true);
  });

  it.each([0o600, 0o644])('gives the file mode %o even under a restrictive umask', async (mode) => {
    process.umask(0o077);
    const path = join(dir, 'file');
    await store.writeAtomic(path, 'x', mode);
    expect(modeOf(path)).toBe(mode);
  });

  it('gives a private key mode 0600 even under a permissive umask', async () => {
    process.umask(0o000);
    const path = join(dir, 'privkey.pem');
    await store.writeAtomic(path, 'secret', 0o600);
    expect(modeOf(path)).toBe(0o600);
  });

  it('sets the new mode when it replaces a file that had another mode', async () => {
    const path = join(dir, 'file');
    await store.writeAtomic(path, 'one', 0o644);
    await store.writeAtomic(path, 'two', 0o600);
    expect(modeOf(path)).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('two');
  });

  it('leaves no temporary file behind', async () => {
    await store.writeAtomic(join(dir, 'a.conf'), 'a', 0o644);
    await store.writeAtomic(join(dir, 'a.conf'), 'b', 0o644);
    await store.writeAtomic(join(dir, 'b.conf'), 'c', 0o644);
    expect(readdirSync(dir).sort()).toEqual(['a.conf', 'b.conf']);
  });

  it('writes a file whose name has the full 255 bytes a file system allows', async () => {
    // mta-sts.<242-character domain>.conf, the longest vhost name the module writes.
    const name = `${'a'.repeat(250)}.conf`;
    await store.writeAtomic(join(dir, name), 'x', 0o644);
    await store.symlinkAtomic(join(dir, name), join(dir, `${'b'.repeat(251)}.pem`));
    expect(readdirSync(dir).sort()).toEqual([name, `${'b'.repeat(251)}.pem`]);
  });

  it('replaces existing content completely, also with shorter content', async () => {
    const path = join(dir, 'site.conf');
    writeFileSync(path, 'a much longer previous content\n'.repeat(10));
    await store.writeAtomic(path, 'short\n', 0o644);
    expect(readFileSync(path, 'utf8')).toBe('short\n');
  });

  it('creates missing parent directories', async () => {
    const path = join(dir, 'policies', 'deep', 'example.com.txt');
    await store.writeAtomic(path, 'x', 0o644);
    expect(readFileSync(path, 'utf8')).toBe('x');
    expect(statSync(join(dir, 'policies')).isDirectory()).toBe(true);
  });

  it('fails without leaving a temporary file when the target is a directory', async () => {
    const path = join(dir, 'taken');
    mkdirSync(path);
    writeFileSync(join(path, 'inside'), 'keep');
    await expect(store.writeAtomic(path, 'x', 0o644)).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readFileSync(join(path, 'inside'), 'utf8')).toBe('keep');
  });

  it('gives the file the owner it is asked for, with the mode', async () => {
    // As root, another user; otherwise this process's own user (chown to another needs root).
    const owner =
      process.getuid!() === 0 ? { uid: 65534, gid: 65534 } : { uid: process.getuid!(), gid: process.getgid!() };
    const path = join(dir, 'certificate.pem');
    await store.writeAtomic(path, 'chain and key', 0o600, owner);
    const stats = statSync(path);
    expect({ uid: stats.uid, gid: stats.gid, mode: stats.mode & 0o777 }).toEqual({ ...owner, mode: 0o600 });
    expect(readdirSync(dir)).toEqual(['certificate.pem']);
  });

  it("keeps this process's owner when no owner is asked for", async () => {
    const path = join(dir, 'certificate.pem');
    await store.writeAtomic(path, 'x', 0o600);
    expect(statSync(path).uid).toBe(process.getuid!());
  });

  it('writes the empty string as an empty file', async () => {
    const path = join(dir, 'empty');
    await store.writeAtomic(path, '', 0o644);
    expect(statSync(path).size).toBe(0);
  });
});

describe('FsFileStore.read', () => {
  it('returns the text of an existing file', async () => {
    const path = join(dir, 'file');
    writeFileSync(path, 'héllo\r\n');
    await expect(store.read(path)).resolves.toBe('héllo\r\n');
  });

  it('returns undefined for a missing file', async () => {
    await expect(store.read(join(dir, 'missing'))).resolves.toBeUndefined();
  });

  it('returns undefined when the parent directory is missing too', async () => {
    await expect(store.read(join(dir, 'no', 'such', 'file'))).resolves.toBeUndefined();
  });

  it('fails for a directory instead of pretending it is missing', async () => {
    await expect(store.read(dir)).rejects.toThrow();
  });
});

describe('FsFileStore.remove', () => {
  it('removes a file', async () => {
    const path = join(dir, 'file');
    writeFileSync(path, 'x');
    await store.remove(path);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('does nothing when the file is already gone', async () => {
    const path = join(dir, 'file');
    await expect(store.remove(path)).resolves.toBeUndefined();
    writeFileSync(path, 'x');
    await store.remove(path);
    await expect(store.remove(path)).resolves.toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('FsFileStore.ensureDir', () => {
  it('creates a directory with its parents and applies the mode despite the umask', async () => {
    process.umask(0o077);
    const path = join(dir, 'a', 'b');
    await store.ensureDir(path, 0o755);
    expect(statSync(path).isDirectory()).toBe(true);
    expect(modeOf(path)).toBe(0o755);
  });

  it('applies the mode to a directory that already exists', async () => {
    const path = join(dir, 'keys');
    mkdirSync(path, { mode: 0o755 });
    await store.ensureDir(path, 0o700);
    expect(modeOf(path)).toBe(0o700);
  });

  it('keeps what the directory holds', async () => {
    const path = join(dir, 'keys');
    mkdirSync(path);
    writeFileSync(join(path, 'account.key'), 'k');
    await store.ensureDir(path, 0o700);
    expect(readFileSync(join(path, 'account.key'), 'utf8')).toBe('k');
  });
});

describe('FsFileStore.symlinkAtomic', () => {
  it('creates a link to the target, and its directory', async () => {
    const target = join(dir, 'certs', 'certificate.pem');
    mkdirSync(join(dir, 'certs'));
    writeFileSync(target, 'bundle');
    const link = join(dir, 'served', 'mta-sts.example.com.pem');
    await store.symlinkAtomic(target, link);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(target);
    expect(readFileSync(link, 'utf8')).toBe('bundle');
  });

  it('replaces an existing link, leaving no temporary link behind', async () => {
    const link = join(dir, 'link.pem');
    symlinkSync('/old/target', link);
    await store.symlinkAtomic('/new/target', link);
    expect(readlinkSync(link)).toBe('/new/target');
    expect(readdirSync(dir)).toEqual(['link.pem']);
  });

  it('follows the target when the target file is replaced by a rename', async () => {
    const target = join(dir, 'certificate.pem');
    writeFileSync(target, 'old');
    await store.symlinkAtomic(target, join(dir, 'link.pem'));
    await store.writeAtomic(target, 'renewed', 0o600);
    expect(readFileSync(join(dir, 'link.pem'), 'utf8')).toBe('renewed');
  });
});

describe('FsFileStore.readLink', () => {
  it("returns a link's target, even when the target is missing", async () => {
    symlinkSync('/nowhere/certificate.pem', join(dir, 'link'));
    await expect(store.readLink(join(dir, 'link'))).resolves.toBe('/nowhere/certificate.pem');
  });

  it('returns undefined for a missing path and for a regular file', async () => {
    writeFileSync(join(dir, 'file'), 'x');
    await expect(store.readLink(join(dir, 'missing'))).resolves.toBeUndefined();
    await expect(store.readLink(join(dir, 'file'))).resolves.toBeUndefined();
  });
});

describe('FsFileStore.remove on links', () => {
  it('removes the link, never its target', async () => {
    writeFileSync(join(dir, 'target'), 'keep');
    symlinkSync(join(dir, 'target'), join(dir, 'link'));
    await store.remove(join(dir, 'link'));
    expect(readdirSync(dir)).toEqual(['target']);
    expect(readFileSync(join(dir, 'target'), 'utf8')).toBe('keep');
  });
});

describe('FsFileStore.stat and setOwner', () => {
  it('reports owner, permission bits and modification time, through a link', async () => {
    const target = join(dir, 'target');
    writeFileSync(target, 'x');
    chmodSync(target, 0o640);
    utimesSync(target, 1_700_000_000, 1_700_000_000);
    symlinkSync(target, join(dir, 'link'));
    await expect(store.stat(join(dir, 'link'))).resolves.toEqual({
      uid: process.getuid!(),
      gid: process.getgid!(),
      mode: 0o640,
      modifiedMs: 1_700_000_000_000,
      size: 1,
      inode: String(statSync(target, { bigint: true }).ino),
    });
  });

  it('reads a range of bytes, less at the end, none past it, and undefined for a missing file', async () => {
    const file = join(dir, 'log');
    writeFileSync(file, 'abcdef');
    await expect(store.readBytes(file, 2, 3)).resolves.toEqual(Buffer.from('cde'));
    await expect(store.readBytes(file, 4, 10)).resolves.toEqual(Buffer.from('ef'));
    await expect(store.readBytes(file, 10, 10)).resolves.toEqual(Buffer.alloc(0));
    await expect(store.readBytes(join(dir, 'missing'), 0, 10)).resolves.toBeUndefined();
  });

  it('returns undefined for a missing file and for a dangling link', async () => {
    symlinkSync(join(dir, 'gone'), join(dir, 'link'));
    await expect(store.stat(join(dir, 'missing'))).resolves.toBeUndefined();
    await expect(store.stat(join(dir, 'link'))).resolves.toBeUndefined();
  });

  it('sets owner and mode of the file a link leads to', async () => {
    const owner =
      process.getuid!() === 0 ? { uid: 65534, gid: 65534 } : { uid: process.getuid!(), gid: process.getgid!() };
    const target = join(dir, 'target');
    writeFileSync(target, 'x', { mode: 0o644 });
    symlinkSync(target, join(dir, 'link'));
    await store.setOwner(join(dir, 'link'), owner, 0o600);
    const stats = statSync(target);
    expect({ uid: stats.uid, gid: stats.gid, mode: stats.mode & 0o777 }).toEqual({ ...owner, mode: 0o600 });
  });
});

describe('FsFileStore.list', () => {
  it('lists the names in a directory, links included', async () => {
    writeFileSync(join(dir, 'a'), 'x');
    symlinkSync('/nowhere', join(dir, 'b'));
    await expect(store.list(dir).then((names) => names.sort())).resolves.toEqual(['a', 'b']);
  });

  it('returns nothing for a missing directory', async () => {
    await expect(store.list(join(dir, 'missing'))).resolves.toEqual([]);
  });
});
