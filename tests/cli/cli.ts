// Spawns the built command (dist/cli.mjs; `npm test` builds it in pretest, or run
// `npm run build:cli` first).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist/cli.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], env: Record<string, string> = {}): CliResult {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build:cli\` first`);
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ETASCAPE_DEBUG: '', ...env },
    timeout: 110_000,
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs and expects exit 0, returning stdout. */
export function ok(args: string[], env: Record<string, string> = {}): string {
  const r = cli(args, env);
  if (r.code !== 0) throw new Error(`etascape ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'etascape-cli-'));
}

/** |a - b| <= rel * max(|a|, |b|) + abs */
export function close(a: number, b: number, rel: number, abs = 0): boolean {
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)) + abs;
}

/** Appended to stderr at exit: the process's peak resident memory, in kB. */
const RSS_REPORT = 'data:text/javascript,process.on("exit",()=>process.stderr.write("\\netascape-test-maxrss "+process.resourceUsage().maxRSS+"\\n"))';

/** Runs the command and measures its peak resident memory (MB). */
export function cliPeakRss(args: string[], env: Record<string, string> = {}): CliResult & { peakMB: number } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build:cli\` first`);
  const r = spawnSync(process.execPath, ['--import', RSS_REPORT, CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ETASCAPE_DEBUG: '', ...env },
    timeout: 110_000,
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.error) throw r.error;
  const m = /etascape-test-maxrss (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no memory report from etascape ${args.join(' ')}:\n${r.stderr}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.slice(0, m.index).trimEnd(), peakMB: Number(m[1]) / 1024 };
}

/** Starts the command without waiting (to time it, or to stop it halfway). */
export function cliSpawn(args: string[], cwd = ROOT): ChildProcess {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build:cli\` first`);
  return spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ETASCAPE_DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
}
