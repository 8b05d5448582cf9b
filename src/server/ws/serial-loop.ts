/**
 * One read loop at a time for its owner (a tenant's tail, a subscription): a call while the loop
 * runs makes it go round once more after the current pass instead of starting a second loop beside
 * it, so wake-ups coalesce and none is lost. A pass answers false to stop (its owner has nothing
 * left to serve); an error ends the loop and goes to `onError`.
 */
export class SerialLoop {
  private active = false;
  private again = false;

  constructor(
    private readonly pass: () => Promise<boolean>,
    private readonly onError: (error: unknown) => void,
  ) {}

  get running(): boolean {
    return this.active;
  }

  async run(): Promise<void> {
    if (this.active) {
      this.again = true;
      return;
    }
    this.active = true;
    try {
      do {
        this.again = false;
        if (!(await this.pass())) return;
      } while (this.again);
    } catch (error) {
      this.onError(error);
    } finally {
      this.active = false;
    }
  }
}
