import { describe, expect, it } from 'vitest'
import { laneOf, laneOfKind } from './outbox.lanes.js'
import { createPacer, laneCaps, lanesWithinDailyBudget } from './outbox.pacing.js'
import { testLimits } from './outbox.test-helper.js'

const limits = testLimits({
  perMinute: 10,
  jitterMs: 0,
  dailyBudget: 100,
  replyReservePercent: 20,
  bulkPercent: 50,
})
const s = (n: number) => n * 1000

describe('outbox lanes and pacing', () => {
  it('puts replies, urgent alerts, task notices and broadcasts in their lanes', () => {
    expect(laneOfKind('reply')).toBe('reply')
    expect(laneOfKind('assign')).toBe('task')
    expect(laneOfKind('follow_up')).toBe('task')
    expect(laneOfKind('update')).toBe('task')
    expect(['reminder', 'notice', 'event', 'digest'].map(laneOfKind)).toEqual([
      'bulk',
      'bulk',
      'bulk',
      'bulk',
    ])
    expect(laneOfKind('something-new')).toBe('task')
    expect(laneOf({ kind: 'warning', lane: 'urgent' })).toBe('urgent')
    expect(laneOf({ kind: 'notice', lane: null })).toBe('bulk') // stored before lanes
  })

  it('gives replies the whole budget and keeps the reserve from the other lanes', () => {
    expect(laneCaps(limits)).toEqual({
      reply: { perMinute: 10, perDay: 100 },
      urgent: { perMinute: 10, perDay: 100 },
      task: { perMinute: 8, perDay: 80 },
      bulk: { perMinute: 5, perDay: 80 },
    })
    expect(lanesWithinDailyBudget(limits, 79)).toEqual(['reply', 'urgent', 'task', 'bulk'])
    expect(lanesWithinDailyBudget(limits, 80)).toEqual(['reply', 'urgent'])
    expect(lanesWithinDailyBudget(limits, 100)).toEqual([])
  })

  it('spaces a broadcast at its share and lets a reply through at the reply spacing', () => {
    const pacer = createPacer(limits)
    pacer.record('bulk', s(0))
    expect(pacer.open(s(5)).lanes).toEqual([])
    expect(pacer.open(s(6)).lanes).toEqual(['reply', 'urgent'])
    expect(pacer.open(s(7.5)).lanes).toEqual(['reply', 'urgent', 'task'])
    expect(pacer.open(s(11)).nextOpenAt).toBe(s(12))
    expect(pacer.open(s(12)).lanes).toEqual(['reply', 'urgent', 'task', 'bulk'])
  })

  it('stops a broadcast that used its share of the minute while replies still have room', () => {
    const pacer = createPacer(limits)
    for (const t of [0, 12, 24, 36, 48]) pacer.record('bulk', s(t))
    const at54 = pacer.open(s(54))
    expect(at54.lanes).toEqual(['reply', 'urgent'])
    pacer.record('reply', s(54))
    expect(pacer.open(s(59)).lanes).toEqual([])
    // At 60 the first notice leaves the minute: the broadcast may go again, the reply did not push it back.
    expect(pacer.open(s(60)).lanes).toEqual(['reply', 'urgent', 'task', 'bulk'])
  })

  it('keeps the broadcast at its share while replies come often', () => {
    const pacer = createPacer(limits)
    const sent: string[] = []
    // A new reply every 15 s; the broadcast always has one waiting.
    for (let t = 0; t < s(120); t += 250) {
      const open = pacer.open(t).lanes
      const replyWaiting = sent.filter((x) => x === 'reply').length < Math.floor(t / s(15)) + 1
      const lane =
        replyWaiting && open.includes('reply') ? 'reply' : open.includes('bulk') ? 'bulk' : undefined
      if (!lane) continue
      pacer.record(lane, t)
      sent.push(lane)
    }
    const bulk = sent.filter((x) => x === 'bulk').length
    expect(bulk).toBeGreaterThanOrEqual(8) // 5 a minute at most, and the replies do not starve it
    expect(bulk).toBeLessThanOrEqual(10)
    expect(sent.filter((x) => x === 'reply').length).toBe(8)
  })

  it('never lets more than perMinute through in any minute, replies included', () => {
    const pacer = createPacer(limits)
    let t = 0
    const sent: number[] = []
    while (t < s(120)) {
      if (pacer.open(t).lanes.includes('reply')) {
        pacer.record('reply', t)
        sent.push(t)
      }
      t += 500
    }
    for (const at of sent)
      expect(sent.filter((x) => x >= at && x < at + s(60)).length).toBeLessThanOrEqual(10)
    expect(sent.length).toBe(20)
  })
})
