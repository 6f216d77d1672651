/**
 * Wraps a read so that concurrent callers share it, without ever answering a caller with a read that
 * started before they asked: a caller arriving while a read runs waits for the next one, which starts
 * when the running one ends and serves everyone who arrived meanwhile. So a write that finished before
 * the call is always seen, and under load one read answers many callers instead of one each.
 */
export function coalesced<T>(read: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined
  let next: Promise<T> | undefined
  const start = (): Promise<T> => {
    const p: Promise<T> = read().finally(() => {
      if (running === p) running = undefined
    })
    running = p
    return p
  }
  const ignore = () => undefined
  return () => {
    if (!running) return start()
    next ??= running.then(ignore, ignore).then(() => {
      next = undefined
      return start()
    })
    return next
  }
}
