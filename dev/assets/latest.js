// Answers that arrive out of order: of the requests a panel makes, only the newest one's answer is
// shown. Typing in the search box or clicking turns quickly must not let an older, slower answer
// replace a newer one.

export class Latest {
  constructor() {
    this.count = 0;
  }

  /** Starts a request; the function returned says whether it is still the newest. @returns {() => boolean} */
  start() {
    const id = ++this.count;
    return () => id === this.count;
  }

  /** Makes every request started so far stale (its panel was closed). */
  cancel() {
    this.count += 1;
  }
}
