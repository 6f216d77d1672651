import { describe, expect, it } from 'vitest'
import {
  addMonths,
  documentStatus,
  type LifecycleDoc,
  localDate,
  nextStatusChange,
  parseDay,
  readLifecycle,
  reviewDate,
} from './kb-lifecycle.js'

describe('parseDay', () => {
  it('reads ISO and Chinese dates and refuses days that do not exist', () => {
    expect(parseDay('2026-06-30')).toBe('2026-06-30')
    expect(parseDay('2026-6-3')).toBe('2026-06-03')
    expect(parseDay('2027年1月1日')).toBe('2027-01-01')
    expect(parseDay('2026-02-30')).toBeUndefined()
    expect(parseDay('2026/06/30')).toBeUndefined()
    expect(parseDay('明年')).toBeUndefined()
  })
})

describe('addMonths and localDate', () => {
  it('adds calendar months, keeping to the month’s last day', () => {
    expect(addMonths('2024-03-15', 24)).toBe('2026-03-15')
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29')
    expect(addMonths('2025-11-30', 3)).toBe('2026-02-28')
  })

  it('names the day as seen in the community’s zone', () => {
    // 17:00 UTC on 30 June is already 1 July in Shanghai.
    expect(localDate(new Date('2026-06-30T17:00:00Z'), 'Asia/Shanghai')).toBe('2026-07-01')
  })
})

describe('readLifecycle', () => {
  it('accepts the keys Chinese office documents use, including replaces', () => {
    expect(
      readLifecycle({
        date: '2026-01-05',
        effective: '2026-02-01',
        expires_on: '2027年12月31日',
        replaces: 'elderly-2024',
      }),
    ).toEqual({
      issuedOn: '2026-01-05',
      effectiveFrom: '2026-02-01',
      expiresOn: '2027-12-31',
      replaces: ['elderly-2024'],
    })
    expect(
      readLifecycle({ effective_from: '2026-01-01', abolished: '2026-09-01', superseded_by: 'new' }),
    ).toEqual({
      effectiveFrom: '2026-01-01',
      abolishedOn: '2026-09-01',
      supersededBy: 'new',
      replaces: [],
    })
  })

  it('refuses a date that is no day, naming the field, instead of ignoring it', () => {
    expect(() => readLifecycle({ expires: '2026-13-01' })).toThrow(/有效期至「2026-13-01」不是有效日期/)
    expect(() => readLifecycle({ date: '去年秋天' })).toThrow(/发布日期/)
  })

  it('refuses an expiry before the start', () => {
    expect(() => readLifecycle({ effective: '2026-07-01', expires: '2026-06-30' })).toThrow(/早于施行日期/)
  })

  it('lets the upload’s own date win over the front matter', () => {
    expect(readLifecycle({ date: '2020-01-01' }, { date: '2026-03-01' }).issuedOn).toBe('2026-03-01')
  })
})

describe('reviewDate', () => {
  it('falls due months after the issue date, or the import date when the document has none', () => {
    expect(reviewDate({ issuedOn: '2024-05-01' }, '2026-01-10', 24)).toBe('2026-05-01')
    expect(reviewDate({}, '2026-01-10', 24)).toBe('2028-01-10')
  })

  it('needs no review when the document expires first, but a far-off expiry does not escape it', () => {
    expect(reviewDate({ issuedOn: '2026-01-01', expiresOn: '2026-12-31' }, '2026-01-10', 24)).toBeUndefined()
    expect(reviewDate({ issuedOn: '2026-01-01', expiresOn: '2099-12-31' }, '2026-01-10', 24)).toBe(
      '2028-01-01',
    )
  })
})

describe('documentStatus', () => {
  const none = () => undefined

  it('follows the calendar through a document’s life', () => {
    const doc = { effectiveFrom: '2027-01-01', expiresOn: '2027-06-30', reviewBy: '2027-03-01' }
    expect(documentStatus(doc, '2026-12-31', none)).toEqual({
      status: 'not_yet_effective',
      statusLabel: '尚未生效（2027-01-01 起施行）',
    })
    expect(documentStatus(doc, '2027-01-01', none)).toEqual({ status: 'in_force', statusLabel: '现行有效' })
    expect(documentStatus(doc, '2027-03-01', none).status).toBe('review_due')
    // The expiry day is the last day in force.
    expect(documentStatus(doc, '2027-06-30', none).status).toBe('review_due')
    expect(documentStatus(doc, '2027-07-01', none)).toEqual({
      status: 'expired',
      statusLabel: '已失效（2027-06-30 到期）',
    })
  })

  it('puts abolition before everything else', () => {
    const s = documentStatus({ abolishedOn: '2026-03-01', expiresOn: '2026-02-01' }, '2026-03-01', none)
    expect(s).toEqual({ status: 'abolished', statusLabel: '已废止（2026-03-01 起）' })
  })

  it('is superseded only once its successor applies, and names the successor', () => {
    const successor: LifecycleDoc = {
      docId: 'new',
      title: '关于调整高龄津贴标准的通知',
      effectiveFrom: '2026-07-01',
    }
    const lookup = (id: string) => (id === 'new' ? successor : undefined)
    expect(documentStatus({ supersededBy: 'new' }, '2026-06-30', lookup).status).toBe('in_force')
    expect(documentStatus({ supersededBy: 'new' }, '2026-07-01', lookup)).toEqual({
      status: 'superseded',
      statusLabel: '已被《关于调整高龄津贴标准的通知》取代',
    })
  })
})

describe('nextStatusChange', () => {
  it('is the first day ahead on which some document starts, ends or falls due', () => {
    const docs = [
      { effectiveFrom: '2026-01-01', expiresOn: '2026-06-30' },
      { reviewBy: '2026-09-01' },
      { effectiveFrom: '2026-08-01' },
    ]
    expect(nextStatusChange(docs, '2026-05-01')).toBe('2026-07-01')
    expect(nextStatusChange(docs, '2026-07-01')).toBe('2026-08-01')
    expect(nextStatusChange(docs, '2026-09-01')).toBeUndefined()
  })
})
