// A progress bar on stderr for long commands, only on a terminal: piped or redirected
// output stays clean (ETASCAPE_PROGRESS=0 turns it off on a terminal too).

import cliProgress from 'cli-progress';

export interface Progress {
  /** Whether a bar is drawn (callers may then wait for work to finish, to report it). */
  active: boolean;
  update(done: number): void;
  stop(): void;
}

const QUIET: Progress = { active: false, update: () => {}, stop: () => {} };

/** Whether to draw a bar on this stream. */
export function progressWanted(stream: { isTTY?: boolean }, env: Record<string, string | undefined> = process.env): boolean {
  return stream.isTTY === true && env.ETASCAPE_PROGRESS !== '0' && env.TERM !== 'dumb';
}

/** A bar counting `done` of `total` `unit`s; a no-op where progressWanted says no. */
export function startProgress(label: string, total: number, unit: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!progressWanted(stream) || !(total > 0)) return QUIET;
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | ETA {eta_formatted}`, stream, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    active: true,
    update: (done) => bar.update(Math.min(total, done)),
    stop: () => bar.stop(),
  };
}
