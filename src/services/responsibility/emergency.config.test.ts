import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { HAZARDS } from '../cases/triage.hazard.js'
import {
  EmergencyConfigError,
  emergencyAdviceFor,
  loadEmergencyConfig,
  parseEmergencyConfig,
} from './emergency.config.js'

const configDir = path.resolve(import.meta.dirname, '../../../config')
const shipped = loadEmergencyConfig(configDir)
interface RawPhone {
  number: string
  name: string
}
interface RawAdvice {
  advice?: string
  numbers?: RawPhone[]
}
interface RawFile {
  hazards: Record<string, RawAdvice>
  communities: Record<string, Record<string, RawAdvice>>
}
const rawShipped = (): RawFile => parseYaml(readFileSync(path.join(configDir, 'emergency.yaml'), 'utf8'))

describe('the shipped config/emergency.yaml', () => {
  it('has advice and a number for every kind of danger', () => {
    for (const hazard of HAZARDS) {
      const a = emergencyAdviceFor(shipped, hazard)
      expect(a.advice.length).toBeGreaterThan(8)
      expect(a.numbers.length).toBeGreaterThan(0)
      expect(a.text).toContain(a.numbers[0])
    }
  })

  it('tells the resident the usual numbers: 119 for fire, 120 for the sick, 110 for a missing child', () => {
    expect(emergencyAdviceFor(shipped, 'fire').numbers[0]).toBe('119')
    expect(emergencyAdviceFor(shipped, 'medical').numbers[0]).toBe('120')
    expect(emergencyAdviceFor(shipped, 'missing_person').numbers[0]).toBe('110')
    expect(emergencyAdviceFor(shipped, 'trapped').numbers).toContain('96333')
  })

  it('gives gas safety advice, not a deadline', () => {
    const gas = emergencyAdviceFor(shipped, 'gas')
    expect(gas.advice).toMatch(/不要.*点火/)
    expect(gas.advice).toMatch(/通风/)
    expect(gas.text).toMatch(/^请不要开关电灯电器.*请马上拨打 119（火警）。$/)
  })

  it("uses a community's own gas line, by community code or by one of its grid codes", () => {
    const kh = emergencyAdviceFor(shipped, 'gas', 'KH')
    expect(kh.numbers).toEqual(['119', '0477-8326119'])
    expect(kh.text).toContain('0477-8326119（康和燃气抢修）')
    expect(kh.advice).toBe(emergencyAdviceFor(shipped, 'gas').advice)
    expect(emergencyAdviceFor(shipped, 'gas', 'KH-02').numbers).toEqual(kh.numbers)
  })

  it('falls back to the defaults for a community without overrides or a kind it does not override', () => {
    expect(emergencyAdviceFor(shipped, 'gas', 'ZZ')).toEqual(emergencyAdviceFor(shipped, 'gas'))
    expect(emergencyAdviceFor(shipped, 'fire', 'KH')).toEqual(emergencyAdviceFor(shipped, 'fire'))
  })
})

describe('validation', () => {
  const problemsOf = (raw: unknown): string[] => {
    try {
      parseEmergencyConfig(raw, 'e.yaml')
    } catch (err) {
      expect(err).toBeInstanceOf(EmergencyConfigError)
      return (err as EmergencyConfigError).problems
    }
    throw new Error('expected the config to be rejected')
  }

  it('names a missing kind of danger', () => {
    const raw = rawShipped()
    delete raw.hazards.gas
    expect(problemsOf(raw)).toEqual(['hazards.gas: missing'])
  })

  it('names an unknown kind, in the defaults and in an override', () => {
    const raw = rawShipped()
    raw.hazards.earthquake = { ...raw.hazards.fire }
    ;(raw.communities.KH as Record<string, RawAdvice>).tsunami = { advice: '快跑' }
    const problems = problemsOf(raw)
    expect(problems.some((p) => p.startsWith('hazards.earthquake: unknown kind of danger'))).toBe(true)
    expect(problems.some((p) => p.startsWith('communities.KH.tsunami: unknown kind of danger'))).toBe(true)
  })

  it('names an empty sentence and a number that is not a phone number', () => {
    const raw = rawShipped()
    ;(raw.hazards.fire as RawAdvice).advice = '  '
    ;((raw.communities.KH?.gas?.numbers ?? [])[1] as RawPhone).number = 'call us'
    const problems = problemsOf(raw)
    expect(problems).toContain('hazards.fire.advice: needs a safety sentence')
    expect(problems.some((p) => p.startsWith('communities.KH.gas.numbers.1.number: must be digits'))).toBe(
      true,
    )
  })

  it('stops on a missing file with a line naming it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'linli-emergency-'))
    expect(() => loadEmergencyConfig(dir)).toThrow(/emergency\.yaml is not valid:\n {2}- the file is missing/)
    writeFileSync(path.join(dir, 'emergency.yaml'), 'hazards: [')
    expect(() => loadEmergencyConfig(dir)).toThrow(/not valid YAML/)
  })
})
