import { describe, expect, it } from 'vitest'
import { isAvailable, localSlot, rankCandidates, readAvailability } from './volunteer.match.js'

const TZ = 'Asia/Shanghai'

describe('volunteer matching', () => {
  it('reads the weekday and time in Shanghai, not UTC', () => {
    // Sunday 23:30 UTC is Monday 07:30 in Shanghai.
    expect(localSlot(new Date('2026-11-29T23:30:00Z'), TZ)).toEqual({ day: 1, time: '07:30' })
  })

  it('is available only on a chosen day inside the window', () => {
    const weekdayAfternoons = { days: [1, 2, 3, 4, 5], from: '13:00', to: '18:00' }
    expect(isAvailable(weekdayAfternoons, new Date('2026-12-01T07:00:00Z'), TZ)).toBe(true) // Tue 15:00
    expect(isAvailable(weekdayAfternoons, new Date('2026-12-01T02:00:00Z'), TZ)).toBe(false) // Tue 10:00
    expect(isAvailable(weekdayAfternoons, new Date('2026-12-05T07:00:00Z'), TZ)).toBe(false) // Sat 15:00
  })

  it('reads 工作日 / 周末 / 周六 and 上午 / 下午 from a chat message, nothing when none is named', () => {
    expect(readAvailability(['维修', '工作日', '下午'])).toEqual({
      days: [1, 2, 3, 4, 5],
      from: '13:00',
      to: '18:00',
    })
    expect(readAvailability(['周六', '周日', '上午'])).toEqual({ days: [6, 7], from: '08:00', to: '12:00' })
    expect(readAvailability(['周末'])).toEqual({ days: [6, 7], from: '08:00', to: '20:00' })
    expect(readAvailability(['维修', '陪诊'])).toBeUndefined()
  })

  it('puts the same grid first, then the nearest building, then registration order', () => {
    const near = { lng: 111.7001, lat: 40.8001 }
    const far = { lng: 111.72, lat: 40.82 }
    const ranked = rankCandidates(
      [
        { personId: 'other-grid-near', gridId: 'g2', point: near },
        { personId: 'far', gridId: 'g1', point: far },
        { personId: 'no-point', gridId: 'g1' },
        { personId: 'near', gridId: 'g1', point: near },
      ],
      { gridId: 'g1', point: { lng: 111.7, lat: 40.8 } },
    )
    expect(ranked.map((c) => c.personId)).toEqual(['near', 'far', 'no-point', 'other-grid-near'])
  })
})
