import fc from 'fast-check'
import type { JsonSchema, PlannedRoute } from './route-plan.js'

/** One hostile request: a raw body (with its content type), a raw query string or a bad path id. */
export interface Probe {
  kind: AttackKind
  body?: { type?: string; data: string | Buffer; headers?: Record<string, string> }
  query?: string
  path?: { param: string; value: string }
  /** A method the route does not have (WebDAV and other verbs). */
  method?: string
}

export type AttackKind =
  | 'malformed-json'
  | 'oversized'
  | 'wrong-types'
  | 'extra-fields'
  | 'deep-nesting'
  | 'huge-strings'
  | 'odd-unicode'
  | 'operators'
  | 'content-type'
  | 'query'
  | 'path-id'
  | 'method'

/** Strings that have broken text handling somewhere: lone surrogates, bidi marks, zero-width, NUL. */
export const ODD_STRINGS: readonly string[] = [
  '\ud800',
  'abc\udfff',
  '\udc00\ud800',
  '\u202e\u202d右到左\u200f',
  'a\u200b\u200c\u200d\ufeffb',
  '👨‍👩‍👧‍👦🏳️‍🌈🧑🏽‍🦯',
  'a\u0000b',
  '\u0000',
  '𠀀𪚥𰻝',
  'Z̴̡̛a̷̢l̸g̵o̶',
  '\r\n\t\u000b\u000c',
  '%00%2e%2e%2f',
  '<script>alert(1)</script>',
  "'; DROP TABLE residents;--",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, on purpose
  '${7*7}{{7*7}}',
  '../../../../etc/passwd',
  '\\',
  ' ',
  '',
  '\u2028\u2029',
  '\ufffe\uffff',
]

const oddString = fc.oneof(
  fc.constantFrom(...ODD_STRINGS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
)

const OPERATORS: readonly unknown[] = [
  { $ne: null },
  { $ne: '' },
  { $gt: '' },
  { $where: 'sleep(5000) || true' },
  { $regex: '.*' },
  { $in: [null, ''] },
  { $exists: true },
  { $expr: { $eq: [1, 1] } },
  [{ $ne: 1 }],
  { a: { $set: { roles: ['admin'] } } },
]

const MALFORMED_JSON: readonly string[] = [
  '{',
  '{"a":',
  '{"a":1,}',
  "{'a':1}",
  'nul',
  '[',
  '{"a":1}{"b":2}',
  '{"a":NaN}',
  '{"a":undefined}',
  '{"a":01}',
  '{"a":"\\x41"}',
  '{"a":"\u0000"}',
  '\u0000',
  '\ufeff{"a":1}',
  '{"a" 1}',
  '"just a string"',
  '12345',
  'true',
  '[]',
]

function typeOf(s: JsonSchema | undefined): string {
  if (!s) return 'unknown'
  if (typeof s.type === 'string') return s.type
  if (Array.isArray(s.type)) return s.type.find((t) => t !== 'null') ?? 'unknown'
  if (s.anyOf) return typeOf(s.anyOf.find((x) => x.type !== 'null'))
  if (s.enum) return typeof s.enum[0]
  return 'unknown'
}

/** A value of a JSON type other than the field's own (a string for a number, an object for a string…). */
function wrongValue(s: JsonSchema | undefined) {
  const t = typeOf(s)
  const all = {
    string: fc.oneof(fc.string({ maxLength: 8 }), fc.constant('1e999'), fc.constant('NaN')),
    number: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    boolean: fc.boolean(),
    array: fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxLength: 3 }),
    object: fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
    null: fc.constant(null),
  }
  const exclude = t === 'integer' ? 'number' : t
  const options = Object.entries(all)
    .filter(([k]) => k !== exclude && !(t === 'number' && k === 'null') && !(t === 'string' && k === 'null'))
    .map(([, v]) => v)
  return fc.oneof(...(options as [fc.Arbitrary<unknown>]))
}

function propsOf(route: PlannedRoute): Record<string, JsonSchema> {
  const props = route.body?.properties ?? {}
  return Object.keys(props).length > 0 ? props : { text: { type: 'string' } }
}

/** Every string field of the body filled from `value` (or a `text` field for schema-less routes). */
function fillStrings(route: PlannedRoute, value: fc.Arbitrary<unknown>) {
  const entries = Object.entries(propsOf(route)).filter(([, s]) => typeOf(s) === 'string')
  const keys = entries.length > 0 ? entries.map(([k]) => k) : ['text']
  return fc
    .tuple(...keys.map(() => value))
    .map((vals) => Object.fromEntries(keys.map((k, i) => [k, vals[i]])))
}

const json = (data: string) => ({ type: 'application/json', data })

/** Bodies that must never be accepted or break anything, kind by kind. */
export function bodyAttacks(route: PlannedRoute, bodyLimitKb: number, rawLimitMb: number) {
  const props = propsOf(route)
  const required = route.body?.required ?? []
  const malformed = fc
    .oneof(
      fc.constantFrom(...MALFORMED_JSON),
      fc.string({ unit: 'binary', maxLength: 30 }).map((s) => `{"${s}`),
    )
    .map((data): Probe => ({ kind: 'malformed-json', body: json(data) }))
  const limitBytes = route.raw ? rawLimitMb * 1024 * 1024 : bodyLimitKb * 1024
  const oversized = fc
    .integer({ min: 1, max: route.raw ? 64 * 1024 : 3 * bodyLimitKb * 1024 })
    .map((extra): Probe => {
      const filler = 'x'.repeat(limitBytes + extra)
      if (route.raw)
        return { kind: 'oversized', body: { type: 'application/octet-stream', data: Buffer.from(filler) } }
      const key = Object.keys(props)[0] ?? 'text'
      return { kind: 'oversized', body: json(JSON.stringify({ [key]: filler })) }
    })
  const wrongTypes = fc
    .tuple(...Object.entries(props).map(([k, s]) => fc.tuple(fc.constant(k), wrongValue(s), fc.boolean())))
    .map((fields): Probe => {
      // Required fields always carry a wrong value; optional ones sometimes.
      const body = Object.fromEntries(
        fields.filter(([k, , keep]) => keep || required.includes(k)).map(([k, v]) => [k, v]),
      )
      if (Object.keys(body).length === 0)
        Object.assign(body, Object.fromEntries(fields.slice(0, 1).map(([k, v]) => [k, v])))
      return { kind: 'wrong-types', body: json(JSON.stringify(body)) }
    })
  const extra = fc
    .subarray(
      [
        '"isAdmin":true',
        '"roles":["admin"]',
        '"status":"closed"',
        '"_id":"000000000000000000000000"',
        '"personId":"000000000000000000000000"',
        '"a.b":1',
        '"__proto__":{"isAdmin":true,"roles":["admin"]}',
        '"constructor":{"prototype":{"isAdmin":true}}',
        '"prototype":{"x":1}',
        '"toString":"x"',
        '"hasOwnProperty":1',
      ],
      { minLength: 1 },
    )
    .map((kv): Probe => ({ kind: 'extra-fields', body: json(`{${kv.join(',')}}`) }))
  const deep = fc
    .tuple(fc.integer({ min: 100, max: 40_000 }), fc.constantFrom('object', 'array', 'field'))
    .map(([depth, shape]): Probe => {
      const key = Object.keys(props)[0] ?? 'text'
      const inner =
        shape === 'array'
          ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
          : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
      const data = shape === 'field' ? `{"${key}":${inner}}` : inner
      return { kind: 'deep-nesting', body: json(data) }
    })
  const huge = fillStrings(
    route,
    fc.integer({ min: 10_000, max: 60_000 }).map((n) => '长'.repeat(n)),
  ).map((b): Probe => ({ kind: 'huge-strings', body: json(JSON.stringify(b)) }))
  const odd = fillStrings(route, oddString).map(
    (b): Probe => ({ kind: 'odd-unicode', body: json(JSON.stringify(b)) }),
  )
  const operators = fc
    .tuple(fc.constantFrom(...Object.keys(props)), fc.constantFrom(...OPERATORS), fc.boolean())
    .map(([k, op, top]): Probe => {
      const body = top ? { $where: 'this.roles = ["admin"]', [k]: op } : { [k]: op }
      return { kind: 'operators', body: json(JSON.stringify(body)) }
    })
  const contentType = fc
    .constantFrom<Probe['body']>(
      { type: 'text/plain', data: '{"text":"hi"}' },
      {
        type: 'application/xml',
        data: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
      },
      {
        type: 'application/x-www-form-urlencoded',
        data: 'a[$ne]=1&text[$gt]=&__proto__[isAdmin]=1&constructor[prototype][x]=1',
      },
      { type: 'application/x-www-form-urlencoded', data: `${'a[b]'.repeat(500)}=1&${'x=1&'.repeat(3000)}` },
      {
        type: 'multipart/form-data; boundary=zzz',
        data: '--zzz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--zzz--',
      },
      { type: 'application/json; charset=utf-16', data: '{"a":1}' },
      { type: 'application/json; charset=nope', data: '{"a":1}' },
      { type: 'application/json', data: 'not gzip at all', headers: { 'content-encoding': 'gzip' } },
      { type: 'application/json', data: '{"a":1}', headers: { 'content-encoding': 'br, x-unknown' } },
      { type: 'image/png', data: '\u0089PNG\r\n\u001a\n' },
      { type: '', data: '{"a":1}' },
      { type: 'application/json', data: '' },
    )
    .map((body): Probe => ({ kind: 'content-type', body }))
  return {
    'malformed-json': malformed,
    oversized,
    'wrong-types': wrongTypes,
    'extra-fields': extra,
    'deep-nesting': deep,
    'huge-strings': huge,
    'odd-unicode': odd,
    operators,
    'content-type': contentType,
  } as const
}

/** Percent-encodes the UTF-8 bytes of any string (lone surrogates become U+FFFD, never a throw). */
export function pct(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')
}

const QUERY_KEYS = ['a', 'status', 'limit', 'cursor', 'communityId', 'gridId', 'id']

/** Query strings with operator brackets, prototype keys, repeated keys, wrong types and odd text. */
export function queryAttack(route: PlannedRoute): fc.Arbitrary<Probe> {
  const keys = [...new Set([...route.query, ...QUERY_KEYS])]
  const enc = pct
  const pair = fc.oneof(
    fc
      .tuple(
        fc.constantFrom(...keys),
        fc.constantFrom('[$ne]=1', '[$gt]=', '[$where]=1', '[$regex]=.*', '[]=1', '[0]=x'),
      )
      .map(([k, s]) => `${k}${s}`),
    fc.constantFrom(
      '__proto__[isAdmin]=1',
      'constructor[prototype][x]=1',
      '$where=1',
      '%24ne=1',
      'a.b=1',
      '__proto__=1',
    ),
    fc.tuple(fc.constantFrom(...keys), oddString).map(([k, v]) => `${k}=${enc(v)}`),
    fc
      .tuple(
        fc.constantFrom(...keys),
        fc.constantFrom('-1', '0', '1e999', 'NaN', 'abc', '9'.repeat(40), 'true', 'null', '{"$ne":1}'),
      )
      .map(([k, v]) => `${k}=${enc(v)}`),
    fc
      .tuple(fc.constantFrom(...keys), fc.integer({ min: 1_000, max: 3_000 }))
      .map(([k, n]) => `${k}=${'x'.repeat(n)}`),
    fc.constantFrom(...keys).map((k) => `${k}=a&${k}=b&${k}=c`),
    fc.constantFrom('%', '%zz', '%ud800', '&&&', '==', 'a=%E4%B8'),
  )
  return fc
    .array(pair, { minLength: 1, maxLength: 4 })
    .map((pairs): Probe => ({ kind: 'query', query: pairs.join('&') }))
}

const BAD_IDS: readonly string[] = [
  'not-an-id',
  '..%2F..%2Fetc%2Fpasswd',
  '..',
  '%2e%2e',
  '000000000000000000000000',
  'ffffffffffffffffffffffff',
  '00000000000000000000000g',
  '0'.repeat(25),
  '-1',
  '0',
  '1e999',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'toString',
  '%7B%22%24ne%22%3A1%7D',
  '%24ne',
  '%00',
  '%E2%80%AE',
  '%F0%9F%98%80',
  '%ED%A0%80',
  'a'.repeat(5_000),
  'C-2026-99999999999999999999',
  'C-2026-00001%00',
]

/** Path parameters that are not ids: not ObjectIds, too long, traversal, operators, odd bytes. */
export function pathAttack(route: PlannedRoute): fc.Arbitrary<Probe> {
  return fc
    .tuple(
      fc.constantFrom(...route.params),
      fc.oneof(fc.constantFrom(...BAD_IDS), fc.string({ unit: 'binary', maxLength: 30 }).map(pct)),
    )
    .map(([param, value]): Probe => ({ kind: 'path-id', path: { param, value } }))
}

/** Verbs no route has: the answer must be a 405 with an error body, never a 501. */
export function methodAttack(): fc.Arbitrary<Probe> {
  return fc
    .constantFrom(
      'propfind',
      'search',
      'lock',
      'unlock',
      'purge',
      'report',
      'mkcol',
      'copy',
      'move',
      'proppatch',
    )
    .map((method): Probe => ({ kind: 'method', method }))
}
