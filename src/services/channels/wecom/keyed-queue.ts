/**
 * Background work run in order per key (one member's messages, one account's reads), different keys
 * side by side; `drain()` waits for all of it (tests, shutdown). A failure is passed to `onError` and
 * does not stop the key's later work.
 */
export class KeyedQueue {
  private readonly running = new Set<Promise<void>>()
  private readonly chains = new Map<string, Promise<void>>()

  constructor(private readonly onError: (err: unknown, key: string) => void) {}

  run(key: string, work: () => Promise<void>): void {
    const before = this.chains.get(key) ?? Promise.resolve()
    const p = before.then(() => work().catch((err: unknown) => this.onError(err, key)))
    this.chains.set(key, p)
    this.running.add(p)
    void p.finally(() => {
      this.running.delete(p)
      if (this.chains.get(key) === p) this.chains.delete(key)
    })
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running])
  }
}
