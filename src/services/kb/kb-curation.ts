import { z } from 'zod'
import { ConflictError, InvalidInputError, NotFoundError } from '../../lib/errors.js'
import { AuditModel } from '../../models/audit.model.js'
import { type KbDocumentDoc, KbDocumentModel } from '../../models/kb.model.js'
import {
  ANSWERING_STATUSES,
  checkOrder,
  type DeclaredLifecycle,
  type DocumentStatus,
  documentStatus,
  type Lifecycle,
  type LifecycleDoc,
  nextStatusChange,
  parseDay,
  reviewDate,
  type StatusView,
} from './kb-lifecycle.js'

/** A document as the answering side sees it: its status today and what conflict checks need. */
export interface LiveDoc extends StatusView {
  docId: string
  title: string
  hash: string
  issuedOn?: string
  effectiveFrom?: string
}

/** The documents' statuses on one day, and the next day one of them changes. */
export interface LifecycleSnapshot {
  today: string
  docs: Map<string, LiveDoc>
  /** Rebuild the index on this day (undefined: no change ahead). */
  nextChange?: string
}

type StoredDoc = Pick<KbDocumentDoc, 'docId' | 'title' | 'hash'> & {
  [K in keyof Lifecycle]?: string | null
}

function lifecycleOf(d: StoredDoc): LifecycleDoc {
  const out: LifecycleDoc = { docId: d.docId, title: d.title }
  for (const k of [
    'issuedOn',
    'effectiveFrom',
    'expiresOn',
    'abolishedOn',
    'supersededBy',
    'reviewBy',
  ] as const) {
    const v = d[k]
    if (v) out[k] = v
  }
  return out
}

/** Classifies every document on `today`: the index keeps the answering ones until `nextChange`. */
export function snapshotLifecycles(docs: StoredDoc[], today: string): LifecycleSnapshot {
  const lives = new Map(docs.map((d) => [d.docId, lifecycleOf(d)]))
  const out = new Map<string, LiveDoc>()
  for (const d of docs) {
    const life = lives.get(d.docId) as LifecycleDoc
    out.set(d.docId, {
      docId: d.docId,
      title: d.title,
      hash: d.hash,
      ...documentStatus(life, today, (id) => lives.get(id)),
      ...(life.issuedOn ? { issuedOn: life.issuedOn } : {}),
      ...(life.effectiveFrom ? { effectiveFrom: life.effectiveFrom } : {}),
    })
  }
  const nextChange = nextStatusChange([...lives.values()], today)
  return { today, docs: out, ...(nextChange ? { nextChange } : {}) }
}

/** True when the document's passages may be used for answers today. */
export function isAnswering(doc: LiveDoc | undefined): boolean {
  return doc !== undefined && ANSWERING_STATUSES.has(doc.status)
}

/**
 * The life-cycle fields an import writes: what the front matter declares (keys it does not name keep
 * what staff set by hand) and when review falls due (a review staff recorded is never shortened).
 */
export function importLifecycleFields(
  docId: string,
  declared: DeclaredLifecycle,
  existing: StoredDoc | null,
  today: string,
  reviewMonths: number,
): Record<string, unknown> {
  if (declared.supersededBy === docId || declared.replaces.includes(docId))
    throw new InvalidInputError('文件不能取代它自己')
  const { replaces, ...named } = declared
  const merged: Lifecycle = { ...(existing ? lifecycleOf(existing) : {}), ...named }
  const order = checkOrder(merged)
  if (order) throw new InvalidInputError(order.message, [order])
  const due = reviewDate(merged, today, reviewMonths)
  const kept = existing?.reviewBy ?? undefined
  const reviewBy = due && kept && kept > due ? kept : due
  return { ...named, replaces, ...(reviewBy ? { reviewBy } : {}) }
}

/**
 * Links replacements both ways after an import: the documents this one `replaces` are superseded by
 * it, and this one is superseded by a document that declared it replaces it (whichever came first).
 */
export async function linkReplacements(docId: string, replaces: string[]): Promise<void> {
  if (replaces.length > 0)
    await KbDocumentModel.updateMany({ docId: { $in: replaces } }, { $set: { supersededBy: docId } })
  const successor = await KbDocumentModel.findOne({ replaces: docId }, { docId: 1 })
    .sort({ updatedAt: -1 })
    .lean()
  if (successor)
    await KbDocumentModel.updateOne(
      { docId, supersededBy: { $in: [null, ''] } },
      { $set: { supersededBy: successor.docId } },
    )
}

/** A document as staff see it in the list: its dates and why it does or does not answer. */
export interface KbDocumentView {
  docId: string
  title: string
  issuer?: string
  /** The issue date (same as `issuedOn` when that is set; older imports may hold free text). */
  date?: string
  url?: string
  /** Where it came from (`file`: a CLI folder import, `upload`: the API) and the file's format. */
  source?: string
  format?: string
  chunkCount: number
  updatedAt?: Date
  status: DocumentStatus
  statusLabel: string
  /** False for expired, abolished, superseded and not yet effective documents. */
  answering: boolean
  issuedOn?: string
  effectiveFrom?: string
  expiresOn?: string
  abolishedOn?: string
  supersededBy?: string
  reviewBy?: string
  lifecycleChangedBy?: string
  lifecycleChangedAt?: Date
}

/** Every document with its status on `today`, by docId. */
export async function listDocumentViews(today: string): Promise<KbDocumentView[]> {
  const docs = await KbDocumentModel.find().sort({ docId: 1 }).lean()
  const snap = snapshotLifecycles(docs, today)
  return docs.map((d) => {
    const live = snap.docs.get(d.docId) as LiveDoc
    const optional = {
      issuer: d.issuer,
      date: d.date ?? d.issuedOn,
      url: d.url,
      source: d.source,
      format: d.format,
      issuedOn: d.issuedOn,
      effectiveFrom: d.effectiveFrom,
      expiresOn: d.expiresOn,
      abolishedOn: d.abolishedOn,
      supersededBy: d.supersededBy,
      reviewBy: d.reviewBy,
      lifecycleChangedBy: d.lifecycleChangedBy,
      lifecycleChangedAt: d.lifecycleChangedAt,
      updatedAt: d.updatedAt,
    }
    return {
      docId: d.docId,
      title: d.title,
      chunkCount: d.chunkCount,
      status: live.status,
      statusLabel: live.statusLabel,
      answering: isAnswering(live),
      ...Object.fromEntries(
        Object.entries(optional).filter(([, v]) => v !== undefined && v !== null && v !== ''),
      ),
    }
  })
}

const DayOrNull = z.union(
  [z.string().max(20, '日期太长，请写成 YYYY-MM-DD').meta({ format: 'date' }), z.null()],
  {
    error: '日期请写成 YYYY-MM-DD（用 null 清除）',
  },
)

/** A staff change to a document's life cycle; `null` clears a date. `reviewed` restarts the review period. */
export const LifecycleChangeInput = z
  .strictObject(
    {
      effectiveFrom: DayOrNull.optional(),
      expiresOn: DayOrNull.optional(),
      abolishedOn: DayOrNull.optional(),
      supersededBy: z
        .union([z.string().min(1, '取代它的文件编号不能为空').max(120, '文件编号太长'), z.null()], {
          error: '取代它的文件编号应为文字（用 null 清除）',
        })
        .optional(),
      reviewed: z.literal(true, { error: 'reviewed 只能是 true' }).optional(),
      reason: z.string({ error: '理由应为文字' }).trim().max(200, '理由不能超过200字').optional(),
    },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys' ? `不认识的字段：${iss.keys.join('、')}` : '修改内容应为 JSON 对象',
    },
  )
  .refine((v) => Object.keys(v).some((k) => k !== 'reason'), { message: '没有要修改的内容' })
  // The document says the same: at least one field besides `reason`.
  .meta({
    anyOf: ['effectiveFrom', 'expiresOn', 'abolishedOn', 'supersededBy', 'reviewed'].map((k) => ({
      required: [k],
    })),
  })
export type LifecycleChangeInput = z.infer<typeof LifecycleChangeInput>

const DAY_FIELDS = { effectiveFrom: '施行日期', expiresOn: '有效期至', abolishedOn: '废止日期' } as const

/** Checks the dates and the successor of a change; returns the fields to set and to clear. */
async function planChange(
  doc: StoredDoc,
  change: LifecycleChangeInput,
): Promise<{ set: Record<string, string>; unset: string[]; merged: Lifecycle }> {
  const set: Record<string, string> = {}
  const unset: string[] = []
  for (const field of Object.keys(DAY_FIELDS) as Array<keyof typeof DAY_FIELDS>) {
    const v = change[field]
    if (v === undefined) continue
    if (v === null) {
      unset.push(field)
      continue
    }
    const day = parseDay(v)
    if (!day) throw new InvalidInputError(`${DAY_FIELDS[field]}「${v}」不是有效日期，请写成 YYYY-MM-DD`)
    set[field] = day
  }
  if (change.supersededBy === null) unset.push('supersededBy')
  else if (change.supersededBy !== undefined) {
    await checkSuccessor(doc.docId, change.supersededBy)
    set.supersededBy = change.supersededBy
  }
  const merged = { ...lifecycleOf(doc), ...set }
  for (const f of unset) delete merged[f as keyof Lifecycle]
  const order = checkOrder(merged)
  if (order) throw new InvalidInputError(order.message, [order])
  return { set, unset, merged }
}

/** A successor must be another known document that is not itself replaced by this one. */
async function checkSuccessor(docId: string, successorId: string): Promise<void> {
  if (successorId === docId) throw new InvalidInputError('文件不能被它自己取代')
  const successor = await KbDocumentModel.findOne({ docId: successorId }, { supersededBy: 1 }).lean()
  if (!successor) throw new InvalidInputError(`取代它的文件「${successorId}」不存在，请先上传新文件`)
  if (successor.supersededBy === docId)
    throw new ConflictError(`「${successorId}」已被本文件取代，两份文件不能互相取代`)
}

/**
 * Changes a document's life cycle without re-uploading it; records who and when on the document and
 * in the audit log. Returns the changed field names.
 */
export async function changeLifecycle(
  docId: string,
  raw: unknown,
  by: string,
  now: Date,
  today: string,
  reviewMonths: number,
): Promise<string[]> {
  const parsed = LifecycleChangeInput.safeParse(raw)
  if (!parsed.success)
    throw new InvalidInputError(
      parsed.error.issues[0]?.message ?? '修改内容不正确',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    )
  const change = parsed.data
  const doc = await KbDocumentModel.findOne({ docId }).lean()
  if (!doc) throw new NotFoundError(`文件「${docId}」`)
  const { set, unset, merged } = await planChange(doc, change)
  // Staff looked at it: the review period starts again (unless the document expires first).
  const reviewBy = reviewDate(
    { issuedOn: today, ...(merged.expiresOn ? { expiresOn: merged.expiresOn } : {}) },
    today,
    reviewMonths,
  )
  const changed = [...Object.keys(set), ...unset, ...(change.reviewed ? ['reviewed'] : [])]
  await KbDocumentModel.updateOne(
    { docId },
    {
      $set: { ...set, lifecycleChangedBy: by, lifecycleChangedAt: now, ...(reviewBy ? { reviewBy } : {}) },
      ...(unset.length > 0 || !reviewBy
        ? { $unset: Object.fromEntries([...unset, ...(reviewBy ? [] : ['reviewBy'])].map((f) => [f, 1])) }
        : {}),
    },
  )
  await AuditModel.create({
    action: 'change_kb_document',
    actorId: by,
    subject: `kb_document:${docId}`,
    reason: change.reason || '调整文件有效期',
    fields: changed,
    at: now,
  })
  return changed
}
