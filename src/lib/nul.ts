import mongoose, { type SchemaType } from 'mongoose'

/**
 * PostgreSQL cannot keep U+0000 in text (jsonb refuses `\u0000`), so on FerretDB's PostgreSQL backend
 * an insert carrying one fails. A NUL has no meaning in anything Linli stores (a puppet or a pasted
 * file can still deliver one), so it is removed from every string before storage, on every backend.
 */
export function stripNul<T>(value: T): T {
  return (typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '') : value) as T
}

const guarded = new WeakSet<object>()

function guardPath(type: SchemaType): void {
  const t = type as SchemaType & { caster?: SchemaType; schema?: WalkableSchema }
  if (t.instance === 'String') t.set(stripNul)
  if (t.caster?.instance === 'String') t.caster.set(stripNul)
  if (t.schema) guardSchema(t.schema)
}

/** Adds the NUL-removing setter to every String path of a schema and its sub-schemas (once). */
interface WalkableSchema {
  eachPath(fn: (path: string, type: SchemaType) => void): unknown
}

export function guardSchema(schema: WalkableSchema): void {
  if (guarded.has(schema)) return
  guarded.add(schema)
  schema.eachPath((_path, type) => guardPath(type))
}

/**
 * Guards every registered model: their documents, `create`/`insertMany` and updates (mongoose runs
 * setters on update values and filters). Called when connecting and when models are initialised.
 */
export function guardModelsAgainstNul(): void {
  for (const name of mongoose.modelNames()) guardSchema(mongoose.model(name).schema)
}

/** Removes NUL from every string of a plain value (raw driver writes: the registry import's bulkWrite). */
export function stripNulDeep<T>(value: T): T {
  if (typeof value === 'string') return stripNul(value)
  if (Array.isArray(value)) return value.map(stripNulDeep) as T
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = stripNulDeep(v)
    return out as T
  }
  return value
}
