// The job lifecycle (src/gpu/job.ts) with a scripted job: work in flight blocks ticks,
// its error surfaces at the next tick, destroy frees only after the work in flight,
// run() goes to the end reporting progress.

import { describe, expect, test } from 'vitest';
import { Job } from '../../src/gpu/job';

/** Counts to `total` in chunks of the budget; each chunk's work finishes when the test says. */
class Counter extends Job<number, number> {
  done = 0;
  freed = 0;
  ticks = 0;
  finishers: { resolve(): void; reject(e: Error): void }[] = [];
  constructor(
    private readonly total: number,
    private readonly async: boolean,
  ) {
    super();
  }
  get finished(): boolean {
    return this.done >= this.total;
  }
  get progress(): number {
    return this.done / this.total;
  }
  protected outcome(): number {
    return this.done;
  }
  protected advance(budget: number): Promise<void> | void {
    this.ticks++;
    const k = Math.min(budget, this.total - this.done);
    if (!this.async) {
      this.done += k;
      return;
    }
    return new Promise<void>((resolve, reject) => this.finishers.push({ resolve, reject })).then(() => {
      this.done += k;
    });
  }
  protected detach(): () => void {
    return () => this.freed++;
  }
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('job lifecycle', () => {
  test('a tick does nothing while its work is in flight, then goes on', async () => {
    const job = new Counter(10, true);
    job.tick(4);
    job.tick(4);
    expect(job.ticks).toBe(1);
    job.finishers[0].resolve();
    await job.idle();
    expect(job.done).toBe(4);
    job.tick(4);
    expect(job.ticks).toBe(2);
  });

  test('the error of work in flight is thrown by the next tick and by idle()', async () => {
    const job = new Counter(10, true);
    job.tick(4);
    job.finishers[0].reject(new Error('device lost'));
    await expect(job.idle()).rejects.toThrow('device lost');
    expect(() => job.tick(4)).toThrow('device lost');
  });

  test('destroy frees only after the work in flight, and later ticks do nothing', async () => {
    const job = new Counter(10, true);
    job.tick(4);
    job.destroy();
    await flush();
    expect(job.freed).toBe(0);
    job.finishers[0].resolve();
    await flush();
    expect(job.freed).toBe(1);
    job.tick(4);
    expect(job.ticks).toBe(1);
  });

  test('run() goes to the end in ticks of its budget and reports each step of progress', async () => {
    const job = new Counter(10, false);
    const seen: number[] = [];
    expect(await job.run(3, (p) => seen.push(p))).toBe(10);
    expect(seen).toEqual([0.3, 0.6, 0.9, 1]);
    expect(job.ticks).toBe(4);
  });
});
