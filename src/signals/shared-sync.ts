/**
 * Sends a tracker's news to the shared store (HotStore.trackers) in batches, one round trip at a
 * time, off the request's path. A tracker calls `request()` after it learns something; the flush
 * runs on a later turn of the event loop, so the answers of a busy moment go together. While a
 * round trip is out, news waits for the next one; the tracker bounds what waits.
 */
export class SharedSync {
  #scheduled = false;
  #inFlight = false;
  /** Callers of {@link idle} waiting for the last round trip. */
  #waiters: (() => void)[] = [];
  readonly #flush: () => Promise<void> | null;
  readonly #hasNews: () => boolean;

  /**
   * @param flush sends what waits and applies the answer; null when nothing waits.
   * @param hasNews whether something arrived while the last round trip was out.
   */
  constructor(flush: () => Promise<void> | null, hasNews: () => boolean) {
    this.#flush = flush;
    this.#hasNews = hasNews;
  }

  request(): void {
    if (this.#scheduled || this.#inFlight) return;
    this.#scheduled = true;
    setImmediate(this.#run);
  }

  /** Resolves once nothing waits to be sent and the last answer is taken in (tests, shutdown). */
  idle(): Promise<void> {
    if (!this.#scheduled && !this.#inFlight) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  readonly #run = (): void => {
    this.#scheduled = false;
    let sent: Promise<void> | null = null;
    try {
      sent = this.#flush();
    } catch {
      // The tracker goes on with what this instance saw.
    }
    if (sent === null) return this.#wake();
    this.#inFlight = true;
    // A failed round trip (the store counts it) leaves the tracker with what this instance saw.
    sent.then(this.#done, this.#done);
  };

  readonly #done = (): void => {
    this.#inFlight = false;
    if (this.#hasNews()) this.request();
    else this.#wake();
  };

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}
