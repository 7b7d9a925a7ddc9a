// The `etascape` command line: main() dispatches to the commands. main.ts is the
// entry (built into dist/cli.mjs, run by bin/etascape.mjs); tests call main() in-process.
//
// Exit codes: 0 ok, 2 a bad command line or bad values (usage), 1 a failure while
// running. Every error is one line on stderr starting with 'etascape: ';
// ETASCAPE_DEBUG=1 adds the stack.

import pkg from '../../package.json';
import { ExpressionError } from '../core/expr/parse';
import { HyperParamError } from '../core/optimizers';
import { ScheduleError } from '../core/schedules';
import { ParticleError } from '../core/particles';
import { TileError } from './shard';
import { defineFlags, formatFlags, parseSchema, UsageError } from './args';
import { benchTable, runBench } from './bench';
import { ALTERNATIONS } from './bench-timing';
import { checkOutputPath, discardPendingOutputs, writeOutput } from './output';
import { mainHelp } from './help';
import { mapCommand, mapHelp } from './map';
import { mergeCommand, mergeHelp } from './merge';
import { modelCommand, modelHelp } from './model';
import { DataError } from '../core/nn/data';
import { ModelError } from '../core/nn/model';
import { runCommand, runHelp } from './run';
import { lrFindCommand, lrFindHelp } from './lr-find';
import { recordCommand, recordHelp } from './record';
import { recordZoomCommand, recordZoomHelp } from './zoom';
import { scheduleCommand, scheduleHelp } from './schedule';
import { sweepCommand, sweepHelp } from './sweep';
import { BENCH_SECONDS_BOUND, ENGINE_STEPS_BOUND, MAP_RES_BOUND, PARTICLES_BOUND, STEPS_PER_DISPATCH_BOUND } from './limits';

const COMMANDS = ['run', 'sweep', 'map', 'merge', 'model', 'schedule', 'lr-find', 'bench', 'record', 'record-zoom'] as const;

const BENCH_FLAGS = defineFlags({
  n: { name: 'n', kind: 'int', min: 1, ...PARTICLES_BOUND, meta: 'N', help: 'particles', defaultText: String(1 << 20) },
  steps: {
    name: 'steps',
    kind: 'int',
    min: 1,
    ...ENGINE_STEPS_BOUND,
    meta: 'S',
    help: 'steps per round of the GPU workloads',
    defaultText: '100',
  },
  stepsPerDispatch: {
    name: 'steps-per-dispatch',
    kind: 'int',
    min: 1,
    ...STEPS_PER_DISPATCH_BOUND,
    meta: 'K',
    help: 'steps fused into one dispatch (fused workload)',
    defaultText: 'min(100, S)',
  },
  cpuSeconds: {
    name: 'cpu-seconds',
    kind: 'number',
    min: 0,
    ...BENCH_SECONDS_BOUND,
    meta: 'T',
    help: `the CPU reference runs steps (at most S) for about this long (over ${ALTERNATIONS} turns)`,
    defaultText: '2',
  },
  minSeconds: {
    name: 'min-seconds',
    kind: 'number',
    min: 0,
    ...BENCH_SECONDS_BOUND,
    meta: 'T',
    help: `GPU workloads repeat their round until they ran this long (over ${ALTERNATIONS} turns)`,
    defaultText: '1',
  },
  mapRes: {
    name: 'map-res',
    kind: 'int',
    min: 0,
    ...MAP_RES_BOUND,
    meta: 'R',
    help: 'the map workload: R x R runs of GD on Rosenbrock (0: leave it out)',
    defaultText: 'min(512, sqrt(N))',
  },
  mapSteps: {
    name: 'map-steps',
    kind: 'int',
    min: 1,
    ...ENGINE_STEPS_BOUND,
    meta: 'S',
    help: 'steps of the map workload',
    defaultText: '1000',
  },
  peerN: {
    name: 'peer-n',
    kind: 'int',
    min: 0,
    ...PARTICLES_BOUND,
    meta: 'P',
    help: 'particles of each peer row, engine vs bare kernel (0: leave them out)',
    defaultText: 'N',
  },
  json: { name: 'json', kind: 'bool', help: 'print the results as JSON instead of a table' },
  out: { name: 'out', kind: 'string', meta: 'FILE.json', ext: ['.json'], help: 'also write the results there as JSON' },
});

function benchHelp(): string {
  return `Usage: etascape bench [--n N] [--steps S] [--json] [--out FILE.json]

Particle-steps per second of the WebGPU engine and of the CPU reference on one
workload, and their ratio: N particles (default 2^20), plain GD (SGD) on Rosenbrock,
lr log-spaced over [1e-6, 1e-4] from (-1.5, 2), so that every particle keeps running;
executed particle-steps are counted from each particle's step counter.
  gpu fused:     rounds of S steps in dispatches of K = min(100, S) steps
  gpu unfused:   the same particles, one step per dispatch
  cpu reference: the same N particles for fewer steps (about --cpu-seconds long)
  bare kernel:   the fused workload's arithmetic alone (no status, checks or loss)
  peers:         engine vs bare kernel for GD, SGD momentum 0.9 and Adam on
                 quadratic, Rosenbrock and Rastrigin (--peer-n particles each)
  map:           a --map-res squared map of --map-steps steps (GD on Rosenbrock, lr x
                 start x), whole on the GPU (compilation and readback included) vs the
                 CPU reference on some of its rows (about --cpu-seconds), extrapolated
Each GPU workload is timed in ${ALTERNATIONS} turns, the engine's and its bare twin's
alternating; each turn is warmed up by one dispatch (pipeline compilation excluded),
then runs (in batches of 1, 2, 4, ... rounds) for at least 1/${ALTERNATIONS} of --min-seconds,
timed until the GPU is done. Every workload, the CPU reference's too, reports its
fastest turn: noise on shared cores only adds time. The JSON is {adapter, date, node,
cpu, workloads: [...], peers: [...], map, ratios: {gpu_vs_cpu, fused_vs_unfused,
engine_vs_bare, map_gpu_vs_cpu}}.

Flags:
${formatFlags(BENCH_FLAGS)}`;
}

async function benchCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const { values: flags, help } = parseSchema(argv, BENCH_FLAGS);
  if (help) {
    out(benchHelp());
    return 0;
  }
  const { json: asJson, out: outPath, ...opts } = flags;
  if (outPath !== undefined) checkOutputPath(outPath, '--out');
  const progress = process.stderr.isTTY ? (m: string) => process.stderr.write(`etascape bench: ${m}\n`) : undefined;
  const result = await runBench({ ...opts, log: progress });
  const json = JSON.stringify(result, null, 2);
  if (outPath !== undefined) writeOutput(outPath, json + '\n');
  if (asJson) out(json);
  else out(benchTable(result) + (outPath ? `\n\nwrote ${outPath}` : ''));
  return 0;
}

function isUsageError(e: unknown): boolean {
  return (
    e instanceof UsageError ||
    e instanceof ExpressionError ||
    e instanceof HyperParamError ||
    e instanceof ParticleError ||
    e instanceof ScheduleError ||
    e instanceof ModelError ||
    e instanceof DataError ||
    e instanceof TileError
  );
}

/** One line: the first line of the message, without a leading 'etascape: '. */
function errorLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const first = msg.split('\n').find((l) => l.trim() !== '') ?? 'unknown error';
  const more = msg.trim().includes('\n') ? ' (ETASCAPE_DEBUG=1 for details)' : '';
  return `etascape: ${first.replace(/^etascape:\s*/, '').trim()}${more}`;
}

export async function main(argv: string[], io = { out: (s: string) => console.log(s), err: (s: string) => console.error(s) }): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined) throw new UsageError(`no command given: etascape ${COMMANDS.join('|')} ... (etascape --help for usage)`);
    if (cmd === '--help' || cmd === '-h' || (cmd === 'help' && rest.length === 0)) {
      io.out(mainHelp(pkg.version));
      return 0;
    }
    if (cmd === '--version' || cmd === '-v') {
      io.out(pkg.version);
      return 0;
    }
    if (cmd === 'help') {
      const topic = rest[0];
      if (topic === 'run') io.out(runHelp(null));
      else if (topic === 'sweep') io.out(sweepHelp(null));
      else if (topic === 'map') io.out(mapHelp(null));
      else if (topic === 'merge') io.out(mergeHelp());
      else if (topic === 'model') io.out(modelHelp());
      else if (topic === 'schedule') io.out(scheduleHelp(null));
      else if (topic === 'lr-find') io.out(lrFindHelp(null));
      else if (topic === 'bench') io.out(benchHelp());
      else if (topic === 'record') io.out(recordHelp());
      else if (topic === 'record-zoom') io.out(recordZoomHelp());
      else throw new UsageError(`no help for '${topic}' (commands: ${COMMANDS.join(', ')})`);
      return 0;
    }
    switch (cmd) {
      case 'run':
        return await runCommand(rest, io.out);
      case 'sweep':
        return await sweepCommand(rest, io.out, io.err);
      case 'map':
        return await mapCommand(rest, io.out, io.err);
      case 'merge':
        return await mergeCommand(rest, io.out, io.err);
      case 'model':
        return await modelCommand(rest, io.out);
      case 'schedule':
        return await scheduleCommand(rest, io.out);
      case 'lr-find':
        return await lrFindCommand(rest, io.out);
      case 'bench':
        return await benchCommand(rest, io.out);
      case 'record':
        return await recordCommand(rest, io.out);
      case 'record-zoom':
        return await recordZoomCommand(rest, io.out, io.err);
      default:
        if (cmd.startsWith('-')) throw new UsageError(`expected a command before '${cmd}': etascape ${COMMANDS.join('|')} ... (etascape --help for usage)`);
        throw new UsageError(`unknown command '${cmd}' (commands: ${COMMANDS.join(', ')}; etascape --help for usage)`);
    }
  } catch (e) {
    discardPendingOutputs();
    io.err(errorLine(e));
    if (process.env.ETASCAPE_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
    return isUsageError(e) ? 2 : 1;
  }
}
