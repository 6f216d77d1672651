import { describe, expect, it } from 'vitest'
import {
  DUPLICATE_THRESHOLD,
  duplicateScore,
  extractLocation,
  findDuplicate,
  normaliseLocationPart,
} from './case.dedupe.js'
import { DEDUPE_HELDOUT_PAIRS, DEDUPE_PAIRS, type LabelledPair } from './case.dedupe.pairs.js'
import { caseDay, formatCaseNumber, normaliseCaseNumber } from './case.number.js'

/** Precision and recall of the duplicate rule on a labelled set. */
function measure(pairs: LabelledPair[]) {
  let tp = 0
  let fp = 0
  let fn = 0
  for (const p of pairs) {
    const same =
      duplicateScore({ text: p.a, location: p.locA }, { text: p.b, location: p.locB }) >= DUPLICATE_THRESHOLD
    if (same && p.same) tp++
    else if (same) fp++
    else if (p.same) fn++
  }
  return { pairs: pairs.length, precision: tp / (tp + fp), recall: tp / (tp + fn), tp, fp, fn }
}

describe('duplicate rule', () => {
  it('catches paraphrases of one problem and keeps different problems apart (labelled set)', () => {
    const dev = measure(DEDUPE_PAIRS)
    const heldOut = measure(DEDUPE_HELDOUT_PAIRS)
    console.info(`dedupe dev set: ${JSON.stringify(dev)}`)
    console.info(`dedupe held-out set: ${JSON.stringify(heldOut)}`)
    expect(DEDUPE_PAIRS.length).toBeGreaterThanOrEqual(40)
    expect(dev.precision).toBeGreaterThanOrEqual(0.9)
    expect(dev.recall).toBeGreaterThanOrEqual(0.9)
    // New wording: merging two different problems is the costly mistake, so precision must hold.
    expect(heldOut.precision).toBeGreaterThanOrEqual(0.9)
  })

  it('never merges reports from different buildings, and rarely from different units', () => {
    const lift = '电梯坏了，一直不动'
    expect(
      duplicateScore(
        { text: lift, location: { building: '4' } },
        { text: lift, location: { building: '6' } },
      ),
    ).toBe(0)
    const a = { text: '楼道灯不亮', location: { building: '4', unit: '1' } }
    const b = { text: '楼道灯不亮', location: { building: '4', unit: '3' } }
    expect(duplicateScore(a, b)).toBeLessThan(DUPLICATE_THRESHOLD)
    expect(duplicateScore(a, { ...b, location: { building: '四', unit: '一' } })).toBeGreaterThan(1)
  })

  it('picks the best match among open cases', () => {
    const open = [
      { text: '3号楼电梯坏了', location: { building: '3' }, id: 'lift' },
      { text: '3号楼楼道灯坏了', location: { building: '3' }, id: 'light' },
    ]
    expect(findDuplicate({ text: '三号楼的声控灯不亮了', location: { building: '3' } }, open)?.match.id).toBe(
      'light',
    )
    expect(findDuplicate({ text: '3号楼门禁刷不开', location: { building: '3' } }, open)).toBeUndefined()
  })

  it('reads building, unit and room the ways residents write them', () => {
    expect(extractLocation('三号楼2单元301楼道灯坏了')).toEqual({ building: '3', unit: '2', room: '301' })
    expect(extractLocation('十二栋电梯坏了')).toMatchObject({ building: '12' })
    expect(normaliseLocationPart('１２号楼')).toBe('12')
  })
})

describe('case numbers', () => {
  it('uses the Beijing day and a padded daily sequence, and reads what residents type', () => {
    expect(caseDay(new Date('2026-11-27T16:30:00Z'), 'Asia/Shanghai')).toBe('261128')
    expect(formatCaseNumber('261128', 42)).toBe('261128-0042')
    expect(formatCaseNumber('261128', 12345)).toBe('261128-12345')
    expect(normaliseCaseNumber('２６１１２８００４２')).toBe('261128-0042')
    expect(normaliseCaseNumber(' 261128-0042 ')).toBe('261128-0042')
    expect(normaliseCaseNumber('hello')).toBeUndefined()
  })
})
