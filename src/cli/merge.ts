// `etascape merge TILE... --out FILE`: joins the tiles of a sharded map or sweep
// (shard.ts) and writes exactly what the unsharded command writes, by running that
// command's own output code on the joined results.

import { defineFlags, formatFlags, parseSchema, UsageError } from './args';
import { mapCommand } from './map';
import { mapModelCommand } from './model';
import { checkTileSet, joinArrays, readTile, SHARD_INDEX_VARIABLES } from './shard';
import { sweepCommand } from './sweep';
import { recordZoomCommand } from './zoom';

const MERGE_FLAGS = defineFlags({
  out: {
    name: 'out',
    kind: 'string',
    meta: 'FILE.png|FILE.csv|FILE.json|FILE.mp4|FILE.webm',
    ext: ['.png', '.csv', '.json', '.mp4', '.webm'],
    help: "a map's figure (required for a map); a sweep's rows (default: CSV on stdout); a zoom video (record-zoom)",
  },
  csv: { name: 'csv', kind: 'string', meta: 'FILE.csv', ext: ['.csv'], help: "a map's rows, as map --csv writes them" },
});

export function mergeHelp(): string {
  return `Usage: etascape merge TILE... [--out FILE.png|FILE.csv|FILE.json] [--csv FILE.csv]

Joins the tiles that 'etascape map ... --shard K/N --tile FILE.tile' (or map --model,
sweep, record-zoom) wrote, one per shard K = 0 .. N-1, and writes what the command without
--shard writes: the map's figure (--out) and rows (--csv), byte for byte the same; a
sweep's rows (--out FILE.csv or FILE.json, or CSV on stdout); a zoom video's file
(--out FILE.mp4|FILE.webm, the same frames). Every tile must be of the same job (the same
arguments and etascape version: each tile holds them with their checksum), each shard
given once, none missing; a tile that is truncated or altered is refused.

--shard auto/N takes K from ${SHARD_INDEX_VARIABLES.join(' (Slurm job arrays) or ')} (Kubernetes
Indexed Jobs); deploy/ holds a Slurm script and a Kubernetes Job for both steps.

Flags:
${formatFlags(MERGE_FLAGS)}

Example:
  for k in 0 1 2 3; do
    etascape map --surface quadratic --x lr:1e-3:1:log --y momentum:0:0.99 --res 512 --shard $k/4 --tile tiles/$k.tile
  done
  etascape merge tiles/*.tile --out map.png --csv map.csv`;
}

export async function mergeCommand(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  // The tiles come first (a shell glob), then the flags.
  let i = 0;
  while (i < argv.length && !argv[i].startsWith('-')) i++;
  const files = argv.slice(0, i);
  const { values: flags, help } = parseSchema(argv.slice(i), MERGE_FLAGS);
  if (help) {
    out(mergeHelp());
    return 0;
  }
  const tiles = checkTileSet(files.map(readTile));
  const { params } = tiles[0].header;
  const seconds = tiles.reduce((s, t) => s + Number(t.header.run.seconds ?? 0), 0);
  if (params.command === 'map') {
    if (flags.out === undefined) throw new UsageError('merge: a map needs --out FILE.png (and --csv FILE.csv for its rows)');
    const results = {
      rgba: joinArrays(tiles, 'rgba', (n) => new Uint32Array(n)),
      pos: joinArrays(tiles, 'pos', (n) => new Float32Array(n)),
      info: joinArrays(tiles, 'info', (n) => new Uint32Array(n)),
      seconds,
    };
    return mapCommand([...params.argv, '--out', flags.out, ...(flags.csv !== undefined ? ['--csv', flags.csv] : [])], out, err, results);
  }
  if (params.command === 'map-model') {
    const results = {
      info: joinArrays(tiles, 'info', (n) => new Uint32Array(n)),
      losses: joinArrays(tiles, 'losses', (n) => new Float32Array(n)),
      value: joinArrays(tiles, 'value', (n) => new Float64Array(n)),
      converged: joinArrays(tiles, 'converged', (n) => new Uint32Array(n)),
      seconds,
    };
    const outputs = [...(flags.out !== undefined ? ['--out', flags.out] : []), ...(flags.csv !== undefined ? ['--csv', flags.csv] : [])];
    return mapModelCommand([...params.argv, ...outputs], out, err, results);
  }
  if (params.command === 'record-zoom') {
    if (flags.out === undefined || flags.csv !== undefined) throw new UsageError('merge: a zoom video needs --out FILE.mp4|FILE.webm (and no --csv)');
    const frames = tiles.flatMap((t) => t.header.arrays.map((a) => t.arrays[a.name] as Uint8Array));
    return recordZoomCommand([...params.argv, '--out', flags.out], out, err, frames);
  }
  if (flags.csv !== undefined) throw new UsageError("--csv is a map's: a sweep's rows go to --out FILE.csv|FILE.json");
  const adapters = [...new Set(tiles.map((t) => t.header.run.adapter ?? null))];
  const results = {
    pos: joinArrays(tiles, 'pos', (n) => new Float32Array(n)),
    info: joinArrays(tiles, 'info', (n) => new Uint32Array(n)),
    lr: joinArrays(tiles, 'lr', (n) => new Float32Array(n)),
    seconds,
    adapter: adapters.length === 1 ? (adapters[0] as string | null) : adapters.join(' + '),
  };
  return sweepCommand([...params.argv, ...(flags.out !== undefined ? ['--out', flags.out] : [])], out, err, results);
}
