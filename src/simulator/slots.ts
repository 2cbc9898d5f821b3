/** A counting semaphore: bounds the SUBSCRIBEs a fleet has in flight. `close()` releases every waiter. */
export class Slots {
  private free: number;
  private closed = false;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = Math.max(1, size);
  }

  /** Resolves with a release function once a slot is free (at once after `close()`). */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = (): void => {
        let done = false;
        resolve(() => {
          if (done) return;
          done = true;
          this.release();
        });
      };
      if (this.closed || this.free > 0) {
        if (!this.closed) this.free--;
        grant();
      } else {
        this.waiting.push(grant);
      }
    });
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w();
  }

  private release(): void {
    if (this.closed) return;
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.free++;
  }
}
