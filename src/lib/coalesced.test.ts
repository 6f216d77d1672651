import { describe, expect, it } from 'vitest'
import { coalesced } from './coalesced.js'

/** A read whose answers the test releases one by one, counting how often it started. */
function controlledRead() {
  const pending: Array<(v: number) => void> = []
  let started = 0
  const read = coalesced(
    () =>
      new Promise<number>((resolve) => {
        started++
        pending.push(resolve)
      }),
  )
  const finish = async (v: number) => {
    pending.shift()?.(v)
    await new Promise((r) => setTimeout(r, 0))
  }
  return { read, finish, started: () => started }
}

describe('coalesced reads', () => {
  it('callers arriving together share one read', async () => {
    const r = controlledRead()
    const answers = Promise.all([r.read(), r.read(), r.read()])
    // The first caller started a read; the two others arrived while it ran, so they wait for the next.
    await r.finish(1)
    await r.finish(2)
    expect(await answers).toEqual([1, 2, 2])
    expect(r.started()).toBe(2)
  })

  it('never answers a caller with a read that started before it asked', async () => {
    const r = controlledRead()
    const early = r.read()
    // A write lands here; the late caller must see it, so it gets the next read, not the running one.
    const late = r.read()
    await r.finish(1)
    expect(await early).toBe(1)
    await r.finish(2)
    expect(await late).toBe(2)
  })

  it('a failed read fails its callers and the next caller reads again', async () => {
    let n = 0
    const read = coalesced(async () => {
      n++
      if (n === 1) throw new Error('down')
      return n
    })
    await expect(read()).rejects.toThrow('down')
    expect(await read()).toBe(2)
  })
})
