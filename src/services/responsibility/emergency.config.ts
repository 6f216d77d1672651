import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { HAZARDS, type Hazard } from '../cases/triage.hazard.js'

/** One number to call: digits (and dashes for an area code), and what it is. */
const Phone = z.object({
  number: z.coerce
    .string()
    .regex(/^[0-9][0-9-]{2,15}$/, 'must be digits and dashes, like "119" or "0477-8326119"'),
  name: z.string().min(1, 'needs a name (火警, 急救 …)'),
})

const Advice = z.object({
  advice: z.string().trim().min(1, 'needs a safety sentence'),
  numbers: z.array(Phone).min(1, 'needs at least one number to call'),
})

const AdviceOverride = Advice.partial().strict()

const EmergencyFile = z
  .object({
    hazards: z.record(z.string(), z.unknown()),
    communities: z
      .record(
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'a community code like KH'),
        z.record(z.string(), z.unknown()),
      )
      .default({}),
  })
  .strict()

/** A number to call with its name. */
export type EmergencyPhone = z.infer<typeof Phone>
/** The advice of one kind of danger. */
export type HazardAdvice = z.infer<typeof Advice>

/** The validated config/emergency.yaml. */
export interface EmergencyConfig {
  hazards: Readonly<Record<Hazard, HazardAdvice>>
  /** Community code → the kinds it overrides (fields it names replace the defaults). */
  communities: Readonly<Record<string, Partial<Record<Hazard, Partial<HazardAdvice>>>>>
}

/** What the bot says first about a danger: the advice, the numbers, and both as one sentence. */
export interface EmergencyAdvice {
  advice: string
  /** The numbers to call, the first one first ("119", "0477-8326119"). */
  numbers: string[]
  /** 「advice 请马上拨打 119（火警）、…。」 ready to send. */
  text: string
}

/** Thrown when config/emergency.yaml is wrong; the message names every bad key. */
export class EmergencyConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'EmergencyConfigError'
  }
}

/** Reads and validates config/emergency.yaml (from `configDir`, default ./config). */
export function loadEmergencyConfig(configDir = path.resolve(process.cwd(), 'config')): EmergencyConfig {
  const file = path.join(configDir, 'emergency.yaml')
  if (!existsSync(file)) throw new EmergencyConfigError(file, ['the file is missing'])
  let raw: unknown
  try {
    raw = parseYaml(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new EmergencyConfigError(file, [`not valid YAML (${(err as Error).message.split('\n')[0]})`])
  }
  return parseEmergencyConfig(raw, file)
}

/** Validates an already-parsed config (tests and tools); `source` names it in errors. */
export function parseEmergencyConfig(raw: unknown, source = 'emergency config'): EmergencyConfig {
  const top = EmergencyFile.safeParse(raw)
  if (!top.success) throw new EmergencyConfigError(source, issueLines(top.error.issues, []))
  const problems: string[] = []
  const isHazard = (k: string): k is Hazard => (HAZARDS as readonly string[]).includes(k)
  const hazards: Partial<Record<Hazard, HazardAdvice>> = {}
  for (const key of Object.keys(top.data.hazards)) {
    if (!isHazard(key))
      problems.push(`hazards.${key}: unknown kind of danger (allowed: ${HAZARDS.join(', ')})`)
  }
  for (const hazard of HAZARDS) {
    const entry = top.data.hazards[hazard]
    if (entry === undefined) {
      problems.push(`hazards.${hazard}: missing`)
      continue
    }
    const parsed = Advice.safeParse(entry)
    if (parsed.success) hazards[hazard] = parsed.data
    else problems.push(...issueLines(parsed.error.issues, ['hazards', hazard]))
  }
  const communities: Record<string, Partial<Record<Hazard, Partial<HazardAdvice>>>> = {}
  for (const [code, overrides] of Object.entries(top.data.communities)) {
    const out: Partial<Record<Hazard, Partial<HazardAdvice>>> = {}
    for (const [key, entry] of Object.entries(overrides)) {
      if (!isHazard(key)) {
        problems.push(`communities.${code}.${key}: unknown kind of danger (allowed: ${HAZARDS.join(', ')})`)
        continue
      }
      const parsed = AdviceOverride.safeParse(entry)
      if (parsed.success) out[key] = parsed.data
      else problems.push(...issueLines(parsed.error.issues, ['communities', code, key]))
    }
    communities[code] = out
  }
  if (problems.length > 0) throw new EmergencyConfigError(source, problems)
  return { hazards: hazards as Record<Hazard, HazardAdvice>, communities }
}

/**
 * The advice for a danger, with the community's override when it has one. `communityCode` may be
 * a community code ("KH") or a grid code ("KH-01": the part before the first dash is tried next).
 * Pure: the same config, danger and code always give the same sentence.
 */
export function emergencyAdviceFor(
  config: EmergencyConfig,
  hazard: Hazard,
  communityCode?: string,
): EmergencyAdvice {
  const base = config.hazards[hazard]
  const override = communityOverride(config, communityCode)?.[hazard]
  const advice = override?.advice ?? base.advice
  const phones = override?.numbers ?? base.numbers
  const dial = phones.map((p) => `${p.number}（${p.name}）`).join('、')
  return { advice, numbers: phones.map((p) => p.number), text: `${advice}请马上拨打 ${dial}。` }
}

function communityOverride(
  config: EmergencyConfig,
  code: string | undefined,
): Partial<Record<Hazard, Partial<HazardAdvice>>> | undefined {
  if (!code) return undefined
  return config.communities[code] ?? config.communities[code.split('-')[0] ?? '']
}

function issueLines(issues: z.core.$ZodIssue[], prefix: Array<string | number>): string[] {
  return issues.map((i) => `${[...prefix, ...i.path.map(String)].join('.')}: ${i.message}`)
}
