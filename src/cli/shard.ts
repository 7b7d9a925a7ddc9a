// Sharded maps and sweeps: `--shard K/N --tile FILE` computes share K of N (a map's
// rows, a sweep's particles: contiguous, sizes differing by at most one, so any K can
// run anywhere, in any order) and writes it as a tile; `etascape merge` (merge.ts)
// joins the tiles into exactly what the unsharded command writes.
//
// A tile is self-describing: one line of JSON (the command's full parameters, their
// SHA-256, the shard, the part, the arrays that follow and their SHA-256), then the
// arrays' bytes (little-endian, as every platform Node and WebGPU run on). It is
// written under a temporary name and renamed whole (output.ts), so a killed shard
// leaves no tile, and a valid tile already there is skipped: a rerun resumes.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import pkg from '../../package.json';
import type { Part } from '../core/layouts';
import type { RunConfig } from '../core/particles';
import type { Surface } from '../core/surfaces';
import { defineFlags, flagKey, UsageError } from './args';
import { commitOutputs, OutputFile } from './output';

export const SHARD_FLAGS = defineFlags({
  shard: {
    name: 'shard',
    kind: 'string',
    meta: 'K/N|auto/N',
    help: 'compute only share K of N (0..N-1) and write it to --tile; auto/N: K from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX',
  },
  tile: {
    name: 'tile',
    kind: 'string',
    meta: 'FILE.tile',
    ext: ['.tile'],
    help: "with --shard: the tile (a valid one already there is kept: the shard is skipped); 'etascape merge' joins the tiles",
  },
});

/** The environment variables --shard auto/N reads K from, in order: Slurm job arrays, Kubernetes Indexed Jobs. */
export const SHARD_INDEX_VARIABLES = ['SLURM_ARRAY_TASK_ID', 'JOB_COMPLETION_INDEX'] as const;
/** More shards than this is a mistake, not a job. */
const MAX_SHARDS = 1 << 16;

export interface Shard {
  k: number;
  n: number;
}

/** `K/N` or `auto/N` (K from the scheduler's environment). */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  const m = /^\s*(\d+|auto)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new UsageError(`--shard: expected K/N (e.g. 0/4) or auto/N, got '${text}'`);
  const n = Number(m[2]);
  if (n < 1 || n > MAX_SHARDS) throw new UsageError(`--shard: N must be 1..${MAX_SHARDS}, got ${m[2]}`);
  let kText = m[1];
  let from = '';
  if (kText === 'auto') {
    const name = SHARD_INDEX_VARIABLES.find((v) => env[v] !== undefined && env[v] !== '');
    if (!name) throw new UsageError(`--shard auto/${n}: neither ${SHARD_INDEX_VARIABLES.join(' nor ')} is set (give K/${n})`);
    kText = env[name]!.trim();
    from = ` (from ${name})`;
    if (!/^\d+$/.test(kText)) throw new UsageError(`--shard auto/${n}: ${name}='${env[name]}' is not a whole number`);
  }
  const k = Number(kText);
  if (k >= n) throw new UsageError(`--shard: K${from} must be 0..${n - 1}, got ${k}`);
  return { k, n };
}

/** Share k of n of `total` items: [floor(k total / n), floor((k+1) total / n)). */
export function shardPart(s: Shard, total: number, what: string): Part {
  if (s.n > total) throw new UsageError(`--shard: ${s.n} shards of ${total} ${what}: at most ${total}`);
  return [Math.floor((s.k * total) / s.n), Math.floor(((s.k + 1) * total) / s.n)];
}

/**
 * Why a job cannot be sharded, or null: gradient noise and a dataset's minibatches are
 * drawn by the particle's index in its engine, which a shard numbers from 0.
 */
export function shardRandomnessProblem(config: RunConfig, surface: Surface): string | null {
  const what = config.noise > 0 ? '--noise' : surface.dataset ? `a dataset surface's minibatches` : null;
  return what ? `--shard: ${what} draws its random numbers by particle index, which a shard does not keep yet: run it unsharded` : null;
}

/** The --shard and --tile flags together (or neither); null for an unsharded run. */
export function shardOf(flags: { shard?: string; tile?: string }): { shard: Shard; tile: string } | null {
  if (flags.shard === undefined && flags.tile === undefined) return null;
  if (flags.shard === undefined) throw new UsageError('--tile needs --shard K/N (which share of the job the tile holds)');
  if (flags.tile === undefined) throw new UsageError(`--shard needs --tile FILE.tile (where the share goes)`);
  return { shard: parseShard(flags.shard), tile: flags.tile };
}

/** argv without --shard and --tile (with their values): the job's parameters. */
function withoutShardFlags(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    const eq = tok.indexOf('=');
    const key = tok.startsWith('--') ? flagKey(eq >= 0 ? tok.slice(2, eq) : tok.slice(2)) : '';
    if (key === 'shard' || key === 'tile') {
      if (eq < 0) i++;
      continue;
    }
    out.push(tok);
  }
  return out;
}

// ---------------------------------------------------------------- tiles

/** The command a tile is of: a surface map, a network map (map --model), a sweep, a zoom video's frames. */
export type TileCommand = 'map' | 'map-model' | 'sweep' | 'record-zoom';

/** What identifies a job: its command, its arguments (without --shard / --tile), the version computing it. */
export interface TileParams {
  command: TileCommand;
  argv: string[];
  version: string;
}

export const tileParams = (command: TileCommand, argv: string[]): TileParams => ({ command, argv: withoutShardFlags(argv), version: pkg.version });

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
const paramsSha = (p: TileParams): string => sha256(JSON.stringify([p.command, p.argv, p.version]));

type TileArray = Uint8Array | Uint32Array | Float32Array | Float64Array;
type TileType = 'u8' | 'u32' | 'f32' | 'f64';
const BYTES: Record<TileType, number> = { u8: 1, u32: 4, f32: 4, f64: 8 };
const typeOf = (a: TileArray): TileType => (a instanceof Uint8Array ? 'u8' : a instanceof Uint32Array ? 'u32' : a instanceof Float32Array ? 'f32' : 'f64');

interface TileHeader {
  format: 'etascape-tile';
  tile_version: 1;
  params: TileParams;
  params_sha256: string;
  shard: Shard;
  /** The items (map rows, sweep particles) this tile holds, of `total`. */
  part: Part;
  total: number;
  /** Not part of the job's identity: facts of the shard's run (seconds, adapter). */
  run: Record<string, string | number | null>;
  arrays: { name: string; type: TileType; length: number }[];
  data_sha256: string;
}

export interface Tile {
  path: string;
  header: TileHeader;
  arrays: Record<string, TileArray>;
}

const bytesOf = (a: TileArray): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Writes a tile, whole or not at all. */
export function writeTile(
  path: string,
  t: { params: TileParams; shard: Shard; part: Part; total: number; run: TileHeader['run']; arrays: Record<string, TileArray> },
): void {
  const entries = Object.entries(t.arrays);
  const data = createHash('sha256');
  for (const [, a] of entries) data.update(bytesOf(a));
  const header: TileHeader = {
    format: 'etascape-tile',
    tile_version: 1,
    params: t.params,
    params_sha256: paramsSha(t.params),
    shard: t.shard,
    part: t.part,
    total: t.total,
    run: t.run,
    arrays: entries.map(([name, a]) => ({ name, type: typeOf(a), length: a.length })),
    data_sha256: data.digest('hex'),
  };
  const file = new OutputFile(path);
  file.write(JSON.stringify(header) + '\n');
  for (const [, a] of entries) file.write(bytesOf(a));
  commitOutputs(file);
}

/** A tile that cannot be read: not a tile, truncated, or altered. */
export class TileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TileError';
  }
}

/** Reads and checks a tile (format, parameter and data checksums, sizes). */
export function readTile(path: string): Tile {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new TileError(`${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const nl = buf.indexOf(10);
  let header: TileHeader;
  try {
    header = JSON.parse(buf.subarray(0, nl < 0 ? buf.length : nl).toString('utf8')) as TileHeader;
  } catch {
    header = {} as TileHeader;
  }
  if (nl < 0 || header.format !== 'etascape-tile') throw new TileError(`${path}: not an etascape tile`);
  if (header.tile_version !== 1) throw new TileError(`${path}: tile version ${header.tile_version}, this etascape reads version 1`);
  if (paramsSha(header.params) !== header.params_sha256) throw new TileError(`${path}: its parameters do not match their checksum (altered)`);
  const body = buf.subarray(nl + 1);
  const size = header.arrays.reduce((s, a) => s + BYTES[a.type] * a.length, 0);
  if (body.length !== size) throw new TileError(`${path}: ${body.length} bytes of data, its header says ${size} (truncated?)`);
  if (sha256(body) !== header.data_sha256) throw new TileError(`${path}: its data do not match their checksum (altered)`);
  const arrays: Record<string, TileArray> = {};
  let at = 0;
  for (const a of header.arrays) {
    // A copy: the file's bytes need not be aligned in the Buffer.
    const bytes = Uint8Array.from(body.subarray(at, at + BYTES[a.type] * a.length));
    arrays[a.name] =
      a.type === 'u8'
        ? bytes
        : a.type === 'u32'
          ? new Uint32Array(bytes.buffer)
          : a.type === 'f32'
            ? new Float32Array(bytes.buffer)
            : new Float64Array(bytes.buffer);
    at += BYTES[a.type] * a.length;
  }
  return { path, header, arrays };
}

/**
 * Resume: true when `path` already holds this shard of this job (skip it). A file that
 * is no valid tile is recomputed; a valid tile of another job or shard is refused.
 */
export function tileDone(path: string, params: TileParams, shard: Shard): boolean {
  if (!existsSync(path)) return false;
  let t: Tile;
  try {
    t = readTile(path);
  } catch (e) {
    if (e instanceof TileError) return false;
    throw e;
  }
  const h = t.header;
  if (h.params_sha256 !== paramsSha(params))
    throw new UsageError(`--tile: ${path} holds a tile of another ${h.params.command}; remove it or pick another name`);
  if (h.shard.k !== shard.k || h.shard.n !== shard.n)
    throw new UsageError(`--tile: ${path} holds shard ${h.shard.k}/${h.shard.n} of this job, not ${shard.k}/${shard.n}; remove it or pick another name`);
  return true;
}

/** Checks that tiles are all of one job, each shard once, none missing; returns them in shard order. */
export function checkTileSet(tiles: Tile[]): Tile[] {
  if (!tiles.length) throw new UsageError('merge needs the tiles: etascape merge TILE... --out FILE');
  const first = tiles[0].header;
  for (const t of tiles) {
    const h = t.header;
    if (h.params_sha256 !== first.params_sha256) {
      const a = first.params.argv;
      const b = h.params.argv;
      const i = a.findIndex((x, j) => x !== b[j]);
      const why =
        h.params.command !== first.params.command
          ? `a ${h.params.command}, not a ${first.params.command}`
          : h.params.version !== first.params.version
            ? `etascape ${h.params.version}, not ${first.params.version}`
            : i >= 0 || a.length !== b.length
              ? `'${b.slice(Math.max(0, i - 1), i + 1).join(' ')}' where ${tiles[0].path} has '${a.slice(Math.max(0, i - 1), i + 1).join(' ')}'`
              : 'other parameters';
      throw new UsageError(`merge: ${t.path} belongs to another ${first.params.command} than ${tiles[0].path} (${why})`);
    }
    if (h.shard.n !== first.shard.n) throw new UsageError(`merge: ${t.path} is shard ${h.shard.k}/${h.shard.n}, ${tiles[0].path} is one of ${first.shard.n}`);
  }
  const byK = new Map<number, Tile>();
  for (const t of tiles) {
    const k = t.header.shard.k;
    const other = byK.get(k);
    if (other) throw new UsageError(`merge: shard ${k}/${first.shard.n} is given twice (${other.path} and ${t.path})`);
    byK.set(k, t);
  }
  const missing = Array.from({ length: first.shard.n }, (_, k) => k).filter((k) => !byK.has(k));
  if (missing.length)
    throw new UsageError(`merge: ${missing.length} of ${first.shard.n} shards missing: ${missing.map((k) => `${k}/${first.shard.n}`).join(', ')}`);
  const ordered = [...byK.keys()].sort((a, b) => a - b).map((k) => byK.get(k)!);
  for (const t of ordered) {
    const want = shardPart(t.header.shard, first.total, 'items');
    if (t.header.total !== first.total || t.header.part[0] !== want[0] || t.header.part[1] !== want[1])
      throw new UsageError(
        `merge: ${t.path} holds items ${t.header.part.join('..')} of ${t.header.total}, shard ${t.header.shard.k}/${first.shard.n} is ${want.join('..')}`,
      );
  }
  return ordered;
}

/** The tiles' arrays named `name`, joined in shard order. */
export function joinArrays<T extends TileArray>(tiles: Tile[], name: string, make: (n: number) => T): T {
  const parts = tiles.map((t) => t.arrays[name]);
  const out = make(parts.reduce((s, a) => s + a.length, 0));
  let at = 0;
  for (const a of parts) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}
