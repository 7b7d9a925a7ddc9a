// The progress bar's decision: a terminal only, and not when turned off.

import { describe, expect, test } from 'vitest';
import { progressWanted, startProgress } from '../../src/cli/progress';

describe('progress bar', () => {
  test('drawn on a terminal only', () => {
    expect(progressWanted({ isTTY: true }, {})).toBe(true);
    expect(progressWanted({ isTTY: false }, {})).toBe(false);
    expect(progressWanted({}, {})).toBe(false);
  });

  test('ETASCAPE_PROGRESS=0 and TERM=dumb turn it off on a terminal', () => {
    expect(progressWanted({ isTTY: true }, { ETASCAPE_PROGRESS: '0' })).toBe(false);
    expect(progressWanted({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(progressWanted({ isTTY: true }, { ETASCAPE_PROGRESS: '1', TERM: 'xterm' })).toBe(true);
  });

  test('on a stream that is no terminal it writes nothing', () => {
    const written: string[] = [];
    const stream = { isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const bar = startProgress('test', 10, 'steps', stream);
    bar.update(5);
    bar.stop();
    expect(bar.active).toBe(false);
    expect(written).toEqual([]);
  });
});
