import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { type Duration, parseDuration } from './duration.js'

/** The taxonomy codes of DESIGN.md: a contract shared by triage, routing, statistics and the API. */
export const CATEGORIES = [
  'facility_repair',
  'sanitation',
  'parking_traffic',
  'noise',
  'safety_hazard',
  'heating_utilities',
  'property_service',
  'neighbor_dispute',
  'social_assistance',
  'greening_pets',
  'illegal_occupation',
  'policy_consult',
  'other',
] as const

/** DESIGN.md's Chinese names of the taxonomy codes (the list's own `name` wins where it is loaded). */
export const CATEGORY_NAMES: Readonly<Record<string, string>> = {
  facility_repair: '设施报修',
  sanitation: '环境卫生',
  parking_traffic: '停车与交通',
  noise: '噪音扰民',
  safety_hazard: '安全隐患',
  heating_utilities: '供暖供水供电',
  property_service: '物业服务',
  neighbor_dispute: '邻里纠纷',
  social_assistance: '民政救助',
  greening_pets: '园林绿化与宠物',
  illegal_occupation: '违建与占道',
  policy_consult: '政策咨询',
  other: '其他',
}
export type Category = (typeof CATEGORIES)[number]
export const CategoryCode = z.enum(CATEGORIES)

export const URGENCIES = ['urgent', 'normal'] as const
export type Urgency = (typeof URGENCIES)[number]

export const LEVELS = ['grid', 'community', 'department'] as const
export type HandlingLevel = (typeof LEVELS)[number]

const DurationText = z
  .string({ error: 'missing limit (a duration like "2h", "15m", "3d" or "5wd")' })
  .transform((s, ctx) => {
    const d = parseDuration(s)
    if (!d) {
      ctx.addIssue({ code: 'custom', message: `"${s}" is not a duration like "2h", "15m", "3d" or "5wd"` })
      return z.NEVER
    }
    return d
  })

const Limits = z.object({ respond: DurationText, resolve: DurationText }, { error: 'missing limits' })

const Words = z.array(z.coerce.string().min(1)).default([])

const CategoryRule = z.object({
  name: z.string().min(1),
  level: z.enum(LEVELS),
  departments: z.array(z.string().regex(/^[a-z][a-z0-9_-]*$/)).default([]),
  escalatesToDepartment: z.boolean().default(false),
  notifyCommunity: z.boolean().default(false),
  limits: z.object({ normal: Limits, urgent: Limits }, { error: 'missing limits' }),
  keywords: Words,
  hints: Words,
  urgencyCues: Words,
})

const Combo = z.object({
  /** Absent: the combo only decides urgency. */
  category: CategoryCode.optional(),
  weight: z.number().min(0),
  /** When every group matches, the message is urgent too. */
  urgent: z.boolean().default(false),
  all: z.array(z.array(z.coerce.string().min(1)).min(1)).min(2),
})

const TriageCues = z.object({
  negations: Words,
  chitChat: Words,
  adMarkers: Words,
  requestMarkers: Words,
  hypotheticals: Words,
  pastMarkers: Words,
  combos: z.array(Combo).default([]),
})

const ListFile = z
  .object({
    departments: z.record(z.string(), z.string()).default({}),
    categories: z.record(z.string(), z.unknown()),
    triage: TriageCues,
  })
  .strict()

/** One category's line of the responsibility list, limits parsed. */
export interface CategoryRule {
  code: Category
  name: string
  level: HandlingLevel
  departments: string[]
  escalatesToDepartment: boolean
  notifyCommunity: boolean
  limits: Record<Urgency, { respond: Duration; resolve: Duration }>
  keywords: string[]
  hints: string[]
  urgencyCues: string[]
}

/** The validated responsibility list (责任清单). */
export interface ResponsibilityList {
  /** Department code → display name. */
  departments: Readonly<Record<string, string>>
  categories: Readonly<Record<Category, CategoryRule>>
  triage: z.infer<typeof TriageCues>
}

/** Thrown when config/responsibility.yaml is wrong; the message names every bad category and key. */
export class ResponsibilityListError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ResponsibilityListError'
  }
}

/**
 * Reads config/responsibility.yaml (from `configDir`, default ./config) and validates it: every
 * taxonomy code present, no unknown code, every limit a duration, departments documented.
 */
export function loadResponsibilityList(
  configDir = path.resolve(process.cwd(), 'config'),
): ResponsibilityList {
  const file = path.join(configDir, 'responsibility.yaml')
  if (!existsSync(file)) throw new ResponsibilityListError(file, ['the file is missing'])
  let raw: unknown
  try {
    raw = parseYaml(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new ResponsibilityListError(file, [`not valid YAML (${(err as Error).message.split('\n')[0]})`])
  }
  return parseResponsibilityList(raw, file)
}

/** Validates an already-parsed list (tests and tools); `source` names it in errors. */
export function parseResponsibilityList(raw: unknown, source = 'responsibility list'): ResponsibilityList {
  const top = ListFile.safeParse(raw)
  if (!top.success) throw new ResponsibilityListError(source, issueLines(top.error.issues, []))
  const problems: string[] = []
  for (const code of Object.keys(top.data.categories)) {
    if (!CategoryCode.safeParse(code).success) {
      problems.push(`categories.${code}: unknown category code (allowed: ${CATEGORIES.join(', ')})`)
    }
  }
  const categories: Partial<Record<Category, CategoryRule>> = {}
  for (const code of CATEGORIES) {
    const entry = top.data.categories[code]
    if (entry === undefined) {
      problems.push(`categories.${code}: missing category`)
      continue
    }
    const rule = CategoryRule.safeParse(entry)
    if (!rule.success) {
      problems.push(...issueLines(rule.error.issues, ['categories', code]))
      continue
    }
    for (const dep of rule.data.departments) {
      if (!(dep in top.data.departments)) {
        problems.push(`categories.${code}.departments: "${dep}" is not listed under departments`)
      }
    }
    categories[code] = { code, ...rule.data }
  }
  if (problems.length > 0) throw new ResponsibilityListError(source, problems)
  return {
    departments: top.data.departments,
    categories: categories as Record<Category, CategoryRule>,
    triage: top.data.triage,
  }
}

function issueLines(issues: z.core.$ZodIssue[], prefix: Array<string | number>): string[] {
  return issues.map((i) => `${[...prefix, ...i.path.map(String)].join('.')}: ${i.message}`)
}
