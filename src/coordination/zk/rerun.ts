/**
 * Runs an async refresh so that calls never overlap: a call made while one runs schedules exactly one more
 * run after it (watch callbacks fire in bursts; each burst needs one fresh look, not many concurrent ones).
 */
export class Rerun {
  private running = false;
  private again = false;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** Starts a run now, or once the current run ends. */
  trigger(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void (async () => {
      do {
        this.again = false;
        try {
          await this.run();
        } catch (e: unknown) {
          this.onError(e);
        }
      } while (this.again);
      this.running = false;
    })();
  }
}
