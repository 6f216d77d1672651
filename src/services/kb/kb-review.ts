import { z } from 'zod'
import { InvalidInputError, NotFoundError } from '../../lib/errors.js'
import { KbDocumentModel, KbQuestionModel } from '../../models/kb.model.js'

/** A staff member's verdict on an answer: a wrong one needs a note saying what was wrong. */
export const ReviewInput = z
  .object(
    {
      verdict: z.enum(['wrong', 'right'], { error: 'verdict 只能是 wrong 或 right' }),
      note: z.string({ error: '说明应为文字' }).trim().max(500, '说明不能超过500字').optional(),
      correctDocId: z
        .string({ error: '正确文件的编号应为文字' })
        .min(1, '正确文件的编号不能为空')
        .max(120, '正确文件的编号太长')
        .optional(),
    },
    { error: '评判内容应为 JSON 对象' },
  )
  .refine((v) => v.verdict !== 'wrong' || (v.note ?? '').length > 0, {
    message: '标记答错时请写明错在哪里',
    path: ['note'],
  })
export type ReviewInput = z.infer<typeof ReviewInput>

export interface AnswerReview {
  verdict: 'wrong' | 'right'
  note?: string
  correctDocId?: string
  by: string
  at: Date
}

/** A logged question as staff see it: what was asked, what was answered, what staff said of it. */
export interface QuestionView {
  questionId: string
  /** The question (masked). */
  question: string
  answer?: string
  mode: string
  abstained: boolean
  topDocs: string[]
  askedAt: Date
  helpful?: boolean
  caseNumber?: string
  /** Set when this answer was withheld because staff had marked the same question's answer wrong. */
  withheldFor?: string
  review?: AnswerReview
}

/** The fields of a kb_questions record the views read. */
interface StoredQuestion {
  questionId: string
  text: string
  answer?: string | null
  mode: string
  abstained: boolean
  topDocs: string[]
  askedAt: Date
  helpful?: boolean | null
  caseNumber?: string | null
  withheldFor?: string | null
  review?: {
    verdict: string
    note?: string | null
    correctDocId?: string | null
    by: string
    at: Date
  } | null
}

function reviewOf(q: StoredQuestion): AnswerReview | undefined {
  const r = q.review
  if (!r) return undefined
  return {
    verdict: r.verdict as 'wrong' | 'right',
    ...(r.note ? { note: r.note } : {}),
    ...(r.correctDocId ? { correctDocId: r.correctDocId } : {}),
    by: r.by,
    at: r.at,
  }
}

function toView(q: StoredQuestion): QuestionView {
  const review = reviewOf(q)
  return {
    questionId: q.questionId,
    question: q.text,
    ...(q.answer ? { answer: q.answer } : {}),
    mode: q.mode,
    abstained: q.abstained,
    topDocs: [...q.topDocs],
    askedAt: q.askedAt,
    ...(typeof q.helpful === 'boolean' ? { helpful: q.helpful } : {}),
    ...(q.caseNumber ? { caseNumber: q.caseNumber } : {}),
    ...(q.withheldFor ? { withheldFor: q.withheldFor } : {}),
    ...(review ? { review } : {}),
  }
}

/**
 * Records a staff verdict on an answer (a later verdict replaces an earlier one). A "wrong" keeps the
 * cited documents' content hashes: the same question is not given that answer again until one of
 * them changes.
 */
export async function reviewAnswer(
  questionId: string,
  raw: unknown,
  by: string,
  now: Date,
): Promise<QuestionView> {
  const parsed = ReviewInput.safeParse(raw)
  if (!parsed.success)
    throw new InvalidInputError(
      parsed.error.issues[0]?.message ?? '评审内容不正确',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    )
  const input = parsed.data
  const q = await KbQuestionModel.findOne({ questionId }).lean()
  if (!q) throw new NotFoundError('这条问答记录')
  if (input.correctDocId && !(await KbDocumentModel.exists({ docId: input.correctDocId })))
    throw new InvalidInputError(`文件「${input.correctDocId}」不存在`)
  const cited = q.abstained ? [] : q.topDocs
  const docHashes = (await KbDocumentModel.find({ docId: { $in: cited } }, { docId: 1, hash: 1 }).lean()).map(
    (d) => ({ docId: d.docId, hash: d.hash }),
  )
  const review = {
    verdict: input.verdict,
    ...(input.note ? { note: input.note } : {}),
    ...(input.correctDocId ? { correctDocId: input.correctDocId } : {}),
    by,
    at: now,
    docHashes,
  }
  const updated = await KbQuestionModel.findOneAndUpdate(
    { questionId },
    { $set: { review } },
    { new: true },
  ).lean()
  return toView(updated ?? { ...q, review })
}

/** Logged questions, newest first; with a verdict, only those staff reviewed so (newest review first). */
export async function listQuestions(options: {
  verdict?: 'wrong' | 'right'
  limit: number
}): Promise<QuestionView[]> {
  const filter = options.verdict ? { 'review.verdict': options.verdict } : {}
  const sort: Record<string, -1> = options.verdict ? { 'review.at': -1 } : { askedAt: -1 }
  const rows = await KbQuestionModel.find(filter).sort(sort).limit(options.limit).lean()
  return rows.map(toView)
}

/**
 * The questionId of the staff review that forbids this answer: the latest review of the same wording
 * said "wrong" and the answer would cite a document that has not changed since. Undefined: answer.
 */
export async function withheldBy(
  normalized: string,
  citedDocIds: ReadonlySet<string>,
  currentHash: (docId: string) => string | undefined,
): Promise<string | undefined> {
  const latest = await KbQuestionModel.findOne({ normalized, review: { $exists: true } })
    .sort({ 'review.at': -1, _id: -1 })
    .lean()
  if (latest?.review?.verdict !== 'wrong') return undefined
  const unchanged = latest.review.docHashes.some(
    (d) => d.docId && citedDocIds.has(d.docId) && currentHash(d.docId) === d.hash,
  )
  return unchanged ? latest.questionId : undefined
}
