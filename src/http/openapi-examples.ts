/**
 * Example values for the OpenAPI document, built from each operation's JSON Schema: a schema's own
 * `example`/`examples`/`default`/`const`/`enum` first, then a value that satisfies its type, format,
 * pattern and bounds. The document test validates every example against its schema, so a pattern
 * this file cannot satisfy fails there instead of publishing a wrong example.
 */

type Schema = Record<string, unknown>

/** Values for the patterns the API uses (an unknown pattern gets a plain string, caught by the test). */
const BY_PATTERN: Array<[RegExp, string]> = [
  [/\^upload:/, `upload:${'0'.repeat(63)}1.jpg`],
  [/\[01\]\\d\|2\[0-3\]\):\[0-5\]\\d/, '09:30'],
  [/\[0-9a-f\]\{24\}|\[a-f0-9\]\{24\}/, '6b16be1876cfc39c749f3f86'],
  [/\\d\{6\}-\\d\{4,\}|\[0-9\]\{6\}-\[0-9\]\{4,\}/, '261207-0001'],
  [/\{64\}/, `${'0'.repeat(63)}1.jpg`],
  [/\\d\{4\}-\\d\{2\}-\\d\{2\}|\[0-9\]\{4\}-/, '2026-12-01'],
]

/** Readable Chinese values for common field names (only used when they fit the schema). */
const BY_NAME: Record<string, unknown> = {
  text: '3号楼2单元楼道灯不亮了',
  description: '3号楼2单元楼道灯不亮了',
  title: '关于本周六停水的通知',
  body: '本周六上午 8:00–12:00 因管道检修停水，请提前储水。',
  reason: '居民本人申请',
  note: '已电话联系居民',
  name: '王丽娟',
  address: '康和社区3号楼2单元301',
  place: '社区广场',
  question: '电动车可以在楼道里充电吗？',
  phone: '138****5678',
  category: 'facility_repair',
  status: 'open',
}

const FORMATS: Record<string, string> = {
  'date-time': '2026-12-01T01:30:00Z',
  date: '2026-12-01',
  uri: 'https://example.org/linli',
  email: 'office@example.org',
  uuid: '3f9c2a71-2b4c-4d8e-9f10-1a2b3c4d5e6f',
}

export function exampleOf(schema: unknown, name?: string, depth = 0): unknown {
  if (!schema || typeof schema !== 'object' || depth > 12) return undefined
  const s = schema as Schema
  if ('example' in s) return s.example
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0]
  if ('const' in s) return s.const
  if ('default' in s) return s.default
  if (Array.isArray(s.enum)) return s.enum.find((v) => v === (name && BY_NAME[name])) ?? s.enum[0]
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = s[key]
    // `anyOf` beside `properties` only says which fields are required: the object example has them all.
    if (Array.isArray(branches) && !s.properties) {
      const branch = branches.find((b) => (b as Schema).type !== 'null') ?? branches[0]
      return exampleOf(branch, name, depth + 1)
    }
  }
  if (Array.isArray(s.allOf)) return exampleOf(s.allOf[0], name, depth + 1)
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {}
      for (const [key, child] of Object.entries((s.properties as Record<string, unknown>) ?? {}))
        out[key] = exampleOf(child, key, depth + 1)
      // `oneOf: [{required: [a]}, {required: [b]}]`: the example takes the first choice only.
      if (Array.isArray(s.oneOf)) {
        const [, ...others] = s.oneOf as Array<{ required?: string[] }>
        for (const key of others.flatMap((b) => b.required ?? [])) delete out[key]
      }
      return out
    }
    case 'array': {
      const item = exampleOf(s.items, name, depth + 1)
      if (item === undefined) return []
      return Array.from({ length: Math.max(1, Number(s.minItems ?? 1)) }, () => item)
    }
    case 'string':
      return stringExample(s, name)
    case 'integer':
    case 'number':
      return numberExample(s)
    case 'boolean':
      return true
    case 'null':
      return null
    default:
      return name && BY_NAME[name] !== undefined ? BY_NAME[name] : undefined
  }
}

function stringExample(s: Schema, name?: string): string {
  if (typeof s.format === 'string' && FORMATS[s.format]) return FORMATS[s.format] as string
  if (typeof s.pattern === 'string') {
    const pattern = s.pattern
    const known = BY_PATTERN.find(([re]) => re.test(pattern))
    if (known) return known[1]
    const sample = name && typeof BY_NAME[name] === 'string' ? (BY_NAME[name] as string) : ''
    if (sample && new RegExp(pattern).test(sample)) return sample
    const repeated = fromCharClass(pattern)
    if (repeated !== undefined) return repeated
  }
  const min = Number(s.minLength ?? 0)
  const max = Number(s.maxLength ?? 200)
  const named = name && typeof BY_NAME[name] === 'string' ? (BY_NAME[name] as string) : '示例'
  let out = named.length > max ? named.slice(0, max) : named
  while (out.length < min) out += '示'
  return out
}

function numberExample(s: Schema): number {
  const min =
    typeof s.minimum === 'number'
      ? s.minimum
      : typeof s.exclusiveMinimum === 'number'
        ? s.exclusiveMinimum + 1
        : 1
  const max = typeof s.maximum === 'number' ? s.maximum : Number.POSITIVE_INFINITY
  return Math.min(Math.max(min, 1), max)
}

/** A value for `^[class]{m,n}$`-style patterns: a few of the class's letters or digits. */
function fromCharClass(pattern: string): string | undefined {
  const m = /^\^(?:\[([^\]]+)\]|(\\d))(?:\{(\d+)(?:,(\d*))?\}|(\+)|(\*))\$$/.exec(pattern)
  if (!m) return undefined
  const cls = m[2] ? '0-9' : (m[1] as string)
  const pick = /a-z/.test(cls)
    ? 'demo'
    : /A-Z/.test(cls)
      ? 'DEMO'
      : /0-9/.test(cls)
        ? '1234'
        : cls.replace(/\\/g, '').charAt(0)
  const [, , , lo, hi, plus] = m
  const min = Number(lo ?? (plus ? 1 : 0))
  // `{n}` is exactly n, `{n,}` n or more, `{n,m}` between; `+` and `*` have no upper bound.
  const max = lo !== undefined && hi === undefined ? min : hi ? Number(hi) : Number.POSITIVE_INFINITY
  let out = pick
  while (out.length < Math.max(min, 1)) out += pick
  out = out.slice(0, Math.max(min, Math.min(out.length, max)))
  return new RegExp(pattern).test(out) ? out : undefined
}
