// The lifecycle every run of its own particles shares (a hyperparameter map, a
// bifurcation diagram): bounded ticks that never wait (the page calls tick(budget) once
// per frame), at most one piece of work in flight, its error raised by the next tick,
// run() to the end (the CLI and tests), and destroy(), which frees the buffers only once
// the work in flight has ended.

export abstract class Job<Result, Progress> {
  private pending: { promise: Promise<void> } | null = null;
  private error: unknown = null;
  private isDestroyed = false;

  abstract get finished(): boolean;
  abstract get progress(): Progress;
  /** What run() resolves to once finished. */
  protected abstract outcome(): Result;
  /** One bounded piece of work; returns the asynchronous part it started (tracked), if any. */
  protected abstract advance(budget: number): Promise<void> | void;
  /** Lets go of what the job holds now; returns what frees it once no work is in flight. */
  protected abstract detach(): () => void;

  /**
   * Advances by at most `budget` particle-steps of work (at least one step). Returns at
   * once; does nothing while earlier work is in flight, once finished, or once destroyed.
   */
  tick(budget: number): void {
    if (this.error) throw this.error;
    if (this.pending || this.finished || this.isDestroyed) return;
    const work = this.advance(budget);
    if (work) this.track(work);
  }

  /** Resolves when no work is in flight (rejects with its error). */
  async idle(): Promise<void> {
    while (this.pending) await this.pending.promise;
    if (this.error) throw this.error;
  }

  /** Runs to the end. `budget` per tick bounds the time between progress calls. */
  async run(budget = 1e8, onProgress?: (p: Progress) => void): Promise<Result> {
    while (!this.finished) {
      this.tick(budget);
      await this.idle();
      onProgress?.(this.progress);
    }
    return this.outcome();
  }

  destroy(): void {
    this.isDestroyed = true;
    this.afterPending(this.detach());
  }

  protected get destroyed(): boolean {
    return this.isDestroyed;
  }

  /** Starts afresh: a former error is forgotten. */
  protected clearError(): void {
    this.error = null;
  }

  /** Work in flight: the next tick waits for it; its failure is the next tick's error. */
  protected track(promise: Promise<void>): void {
    const entry = {
      promise: promise.then(
        () => {
          if (this.pending === entry) this.pending = null;
        },
        (e) => {
          if (this.pending === entry) {
            this.pending = null;
            this.error = e;
          }
        },
      ),
    };
    this.pending = entry;
  }

  /** Runs `f` once the work now in flight (if any) has ended, whatever its outcome. */
  protected afterPending(f: () => void): Promise<void> {
    const wait = this.pending?.promise;
    return (async () => {
      await wait?.catch(() => {});
      f();
    })();
  }
}
