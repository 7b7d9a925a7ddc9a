// Usage text shared by the commands: presets and optimizers, from their definitions.

import { OPTIMIZER_DEFS, type OptimizerDef } from '../core/optimizers';
import { PRESETS, PRESET_NAMES } from '../core/surfaces';
import { formatFlags } from './args';
import { FUNCTIONS } from '../core/expr/parse';
import { hyperFlags, presetParamText } from './flags';

function wrap(text: string, width: number, indent = ''): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

export function presetHelp(): string {
  const rows = PRESET_NAMES.map((name) => {
    const spec = PRESETS[name]();
    const text = presetParamText(name);
    const params = text ? `\n${' '.repeat(19)}--surface-param ${text}` : '';
    return `  ${name.padEnd(17)}${spec.expression.length > 60 ? spec.title : spec.expression}${params}`;
  });
  const intro = `Surfaces (--surface): a preset (parameters shown with their defaults, angle in degrees), or an expression in x and y with + - * / ^, pi, e and ${Object.keys(FUNCTIONS).join(' ')}:`;
  return `${wrap(intro, 90)}\n${rows.join('\n')}`;
}

/** Hyperparameter flags of one optimizer, or of all when def is null. */
export function optimizerHelp(def: OptimizerDef | null, skip: string[] = []): string {
  const defs = def ? [def] : OPTIMIZER_DEFS;
  const blocks = defs.map((d) => {
    const names = [d.name, ...(d.aliases ?? [])].join(', ');
    return `  ${names}: ${d.doc}\n${formatFlags(hyperFlags(d, skip), '    ')}`;
  });
  return `Optimizers (--optimizer, PyTorch class names, case-insensitive; 'gd' is SGD) and their
hyperparameter flags (PyTorch names; boolean flags are bare or =true/false):
${blocks.join('\n')}`;
}

export function mainHelp(version: string): string {
  return `etascape ${version}: loss landscapes and learning rates, on the GPU (WebGPU) or the CPU

Usage: etascape <command> [flags]

Commands:
  run     one particle's trajectory (summary, or --json rows [x, y, loss, lr])
  sweep   many particles from one start, lr log-spaced over [--lr-min, --lr-max]:
          one row per particle (CSV or JSON), with a summary of where they ended
  map     a hyperparameter map: two axes (any hyperparameter, or the start x0/y0), one
          run per pixel, drawn by outcome or basin as a PNG with axes and legend (and CSV)
  merge   joins the tiles of a map or sweep run in shards (--shard K/N --tile FILE) into
          exactly what the unsharded command writes
  model   the explicit JSON form of a built-in network problem (mlp:..., --data, seeds)
          (run and map take --model FILE.json|mlp:... to train networks instead of a surface:
          'etascape run --model x --help', 'etascape map --model x --help')
  schedule  the lr of a schedule at steps 0 .. N-1 (PyTorch's lr_scheduler semantics)
  lr-find the LR range test (fastai's lr_find): the loss vs an exponentially growing lr,
          with fastai's suggestions (valley, steep, minimum)
  bench   particle-steps per second, GPU engine vs CPU reference, fused vs unfused
  record  a frame-exact video (MP4/WebM) of a scene or a state, made by the app in headless Chromium
  record-zoom  a zoom video into a map (surface or --model), each frame a full map at its window
  help    this text, or 'etascape help <command>'

Run 'etascape <command> --help' for a command's flags.

Examples:
  etascape run --surface rosenbrock --optimizer sgd --lr 1e-3 --momentum 0.9 --steps 500
  etascape run --surface "0.5*(x^2 + 10*y^2)" --optimizer gd --lr 0.1 --start 1,1 --steps 20 --json
  etascape sweep --surface quadratic --surface-param lambda2=20 --optimizer gd --lr-min 0.01 --lr-max 0.2 \\
                 --n 4096 --steps 2000 --start 1.5,1.5 --out sweep.csv
  etascape map --surface quadratic --optimizer sgd --x lr:1e-3:1:log --y momentum:0:0.99 \\
               --res 256 --steps 1000 --out map.png --csv map.csv
  etascape schedule --schedule OneCycleLR --max_lr 0.1 --total_steps 100 --json
  etascape lr-find --surface rosenbrock --optimizer sgd --momentum 0.9 --lr-min 1e-6 --lr-max 1
  etascape run --surface double-well --optimizer sgd --lr 0.3 --momentum 0.9 \
               --schedule "SequentialLR(schedulers=[LinearLR(start_factor=0.1, total_iters=20), CosineAnnealingLR(T_max=480)], milestones=[20])" \
               --noise 0.5 --batch_size 8 --seed 1 --steps 500
  etascape run --model mlp:4,16,1:tanh:mean-field --data teacher --optimizer sgd --lr 0.1 --steps 200 --json
  etascape map --model mlp:16,16,1:tanh:mean-field:gain=sqrt2 --x lr_layer0:1e-2:1e2:log \
               --y lr_layer1:1e-2:1e2:log --res 64 --steps 200 --measure fractal --csv out.csv --out out.png
  etascape bench --out bench/results/bench.json
  etascape record --state lecture.json --out talk.mp4 --width 1920 --height 1080 --fps 30 --seconds 10

Errors print one line starting with 'etascape: '; exit code 2 for a bad command line
or bad values, 1 for a failure while running (no GPU, a file that cannot be written).

${presetHelp()}

${optimizerHelp(null)}`;
}
