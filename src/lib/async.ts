/** Rejects with `no answer <what> within N ms` when the promise has not settled in time. */
export function withTimeout<T>(p: Promise<T>, ms: number, what = ''): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer${what ? ` ${what}` : ''} within ${ms} ms`)), ms)
    p.then(
      (v) => {
        clearTimeout(t)
        resolve(v)
      },
      (e: unknown) => {
        clearTimeout(t)
        reject(e)
      },
    )
  })
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
