// Output files, whole or not at all. Every command checks its output paths before it
// computes anything (checkOutputPath); it writes each file to a temporary name beside
// the target (.NAME.PID.tmp), streamed, and renames all of them into place only when
// every one is complete (commitOutputs). A failure, or SIGINT / SIGTERM, removes the
// temporary files: the previous files stay as they were.

import { accessSync, closeSync, constants, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './args';

/** Temporary files not yet renamed into place, by path. */
const pending = new Map<string, number | null>();

/** Why `path` cannot be written, or null: checked before any work, without creating anything. */
function outputProblem(path: string): string | null {
  try {
    if (statSync(path).isDirectory()) return 'it is a directory';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
  // The nearest folder that exists must be a folder we may write into (the rest is created).
  let dir = dirname(resolve(path));
  for (;;) {
    try {
      if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
      accessSync(dir, constants.W_OK | constants.X_OK);
      return null;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && dirname(dir) !== dir) {
        dir = dirname(dir);
        continue;
      }
      return code === 'ENOTDIR' ? `a part of ${dir} is not a directory` : code === 'EACCES' ? `${dir} is not writable` : (code ?? (e as Error).message);
    }
  }
}

/** Refuses (exit 2, naming the flag and the path) an output that cannot be written. */
export function checkOutputPath(path: string, flag: string): void {
  const problem = outputProblem(path);
  if (problem) throw new UsageError(`${flag}: cannot write '${path}': ${problem}`);
}

/** A file being written under a temporary name; it appears under its own name on commit. */
export class OutputFile {
  readonly tmp: string;
  private fd: number | null;

  constructor(readonly path: string) {
    try {
      mkdirSync(dirname(resolve(path)), { recursive: true });
      this.tmp = join(dirname(resolve(path)), `.${basename(path)}.${process.pid}.tmp`);
      this.fd = openSync(this.tmp, 'w');
    } catch (e) {
      throw new Error(`cannot write ${path}: ${(e as Error).message}`, { cause: e });
    }
    pending.set(this.tmp, this.fd);
    installSignalCleanup();
  }

  write(data: string | Uint8Array): void {
    if (this.fd === null) throw new Error(`${this.path} is already closed`);
    try {
      if (typeof data === 'string') writeSync(this.fd, data);
      else for (let off = 0; off < data.length;) off += writeSync(this.fd, data, off);
    } catch (e) {
      throw new Error(`cannot write ${this.path}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Closes the temporary file (still under its temporary name). */
  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    pending.set(this.tmp, null);
    closeSync(fd);
  }

  discard(): void {
    discardTemp(this.tmp);
  }
}

function discardTemp(tmp: string): void {
  const fd = pending.get(tmp);
  pending.delete(tmp);
  try {
    if (fd !== null && fd !== undefined) closeSync(fd);
  } catch {
    // already closed
  }
  rmSync(tmp, { force: true });
}

/** Renames every file into place once all are complete; on any failure none is. */
export function commitOutputs(...files: OutputFile[]): void {
  try {
    for (const f of files) f.close();
  } catch (e) {
    for (const f of files) f.discard();
    throw e;
  }
  for (const f of files) {
    try {
      renameSync(f.tmp, f.path);
      pending.delete(f.tmp);
    } catch (e) {
      for (const g of files) g.discard();
      throw new Error(`cannot write ${f.path}: ${(e as Error).message}`, { cause: e });
    }
  }
}

/** Writes whole files (text or bytes): all of them, or none. */
export function writeOutputs(entries: [path: string, data: string | Uint8Array][]): void {
  const files: OutputFile[] = [];
  try {
    for (const [path, data] of entries) {
      const f = new OutputFile(path);
      files.push(f);
      f.write(data);
    }
  } catch (e) {
    for (const f of files) f.discard();
    throw e;
  }
  commitOutputs(...files);
}

/** One whole file. */
export const writeOutput = (path: string, data: string | Uint8Array): void => writeOutputs([[path, data]]);

/** Removes every temporary file not yet committed (a command failed). */
export function discardPendingOutputs(): void {
  for (const tmp of [...pending.keys()]) discardTemp(tmp);
}

let signalsInstalled = false;

/** SIGINT / SIGTERM during a write: remove the temporary files, then exit as the signal would. */
function installSignalCleanup(): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(sig, () => {
      discardPendingOutputs();
      process.exit(code);
    });
  }
}

/**
 * Lines of text in chunks, so that no output is ever held whole: `add` collects and
 * says when a chunk of about `size` characters is due; `flush` hands it to `sink` and
 * yields to the event loop (a SIGINT / SIGTERM can then stop the command between chunks).
 */
export class LineChunks {
  private lines: string[] = [];
  private chars = 0;

  constructor(
    private readonly sink: (chunk: string) => void,
    private readonly size = 1 << 20,
  ) {}

  /** Adds a line; true when a chunk is due (then await flush()). */
  add(line: string): boolean {
    this.lines.push(line);
    this.chars += line.length + 1;
    return this.chars >= this.size;
  }

  async flush(): Promise<void> {
    if (!this.lines.length) return;
    const chunk = this.lines.join('\n');
    this.lines = [];
    this.chars = 0;
    this.sink(chunk);
    await new Promise((r) => setImmediate(r));
  }
}
