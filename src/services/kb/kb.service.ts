import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { withTimeout } from '../../lib/async.js'
import type { Clock } from '../../lib/clock.js'
import type { Config } from '../../lib/config.js'
import { DomainError, ForbiddenError, InvalidInputError, NotFoundError } from '../../lib/errors.js'
import type { Llm } from '../../lib/llm.js'
import type { Logger } from '../../lib/logger.js'
import { maskText } from '../../lib/mask.js'
import { withLock } from '../../lib/storage/index.js'
import { KbChunkModel, KbDocumentModel, KbQuestionModel } from '../../models/kb.model.js'
import {
  type AbstainFeatures,
  type AbstainModel,
  abstainFeatures,
  answerProbability,
  loadAbstainModel,
} from './kb-abstain.js'
import {
  buildUserPrompt,
  type Citation,
  citationOf,
  composeAbstention,
  composeExtractive,
  judgeLlmReply,
  KB_SYSTEM_PROMPT,
} from './kb-answer.js'
import { chunkDocument, hashText, parseFrontMatter } from './kb-chunker.js'
import { formatClauseAnswer, pickClauses } from './kb-clause.js'
import { type ConflictView, listConflicts, recordConflict, settleConflicts } from './kb-conflict.js'
import {
  changeLifecycle,
  importLifecycleFields,
  isAnswering,
  type KbDocumentView,
  type LifecycleSnapshot,
  linkReplacements,
  listDocumentViews,
  snapshotLifecycles,
} from './kb-curation.js'
import { queryUnits, unitCoverage } from './kb-evidence.js'
import { CalendarDate, cleanTitle, DocumentText, DocumentTitle } from './kb-fields.js'
import {
  checkFileType,
  DOCUMENT_FORMATS,
  type DocumentFormat,
  DocumentRefusedError,
  documentIdFor,
  extractDocument,
  type RefusalCode,
  refuse,
} from './kb-formats.js'
import { checkGrounding } from './kb-grounding.js'
import { buildKbIndex, type IndexedChunk, type KbIndex, type SearchHit, type TermCache } from './kb-index.js'
import { localDate, REVIEW_DUE_CAVEAT, readLifecycle } from './kb-lifecycle.js'
import { createRateLimiter } from './kb-rate-limit.js'
import { listQuestions, type QuestionView, reviewAnswer, withheldBy } from './kb-review.js'
import { createTextAnalyzer, type KbVocabulary, loadVocabulary, normalizeText } from './kb-text.js'

export type { Citation } from './kb-answer.js'
export type { ConflictView } from './kb-conflict.js'
export type { KbDocumentView } from './kb-curation.js'
export type { SearchHit } from './kb-index.js'
export type { QuestionView } from './kb-review.js'

/** Tunable behaviour; defaults suit a community's few hundred documents. */
export interface KbOptions {
  /** Below this share of the question's topic words found in the best passage, the KB abstains. */
  minCoverage: number
  /** With embeddings on, a passage at least this similar counts as evidence even when few words match. */
  minCosine: number
  chunkMinChars: number
  chunkMaxChars: number
  /** Hard deadline for one LLM answer, retries included. */
  llmTimeoutMs: number
  llmRetries: number
  perAskerPerHour: number
  globalPerMinute: number
  /** How often (ms) to check the database for documents imported by another process. */
  refreshIntervalMs: number
  /** Passages handed to the LLM / considered for extraction. */
  passages: number
  /** A document is due for review this many months after its issue (or import) date. */
  reviewMonths: number
  /** The zone whose calendar days the documents' dates name. */
  timezone: string
  /**
   * The fitted answer-or-abstain model (`config/kb-abstain-model.json`). Without it, a question is
   * answered when the best passage covers `minCoverage` of it.
   */
  abstainModel?: AbstainModel
}

export const DEFAULT_KB_OPTIONS: KbOptions = {
  minCoverage: 0.4,
  minCosine: 0.8,
  chunkMinChars: 20,
  chunkMaxChars: 400,
  llmTimeoutMs: 8000,
  llmRetries: 1,
  perAskerPerHour: 20,
  globalPerMinute: 60,
  refreshIntervalMs: 30_000,
  passages: 4,
  reviewMonths: 24,
  timezone: 'Asia/Shanghai',
}

/** What the abstention hook gets: enough to open a `policy_consult` case. */
export interface AbstainContext {
  questionId: string
  askerId?: string
  /** The question with phone and ID numbers masked (the hook receives the original as first argument). */
  maskedQuestion: string
  nearestDocs: Array<{ docId: string; title: string }>
}

export interface KbServiceDeps {
  llm?: Llm
  logger: Logger
  clock: Clock
  /** Called when the KB cannot answer; returns the number of the case it opened, if any. */
  onAbstain?: (question: string, context: AbstainContext) => Promise<string | undefined>
  /** Domain dictionary and synonyms; defaults to `config/kb-synonyms.yaml`. */
  vocabulary?: KbVocabulary
  options?: Partial<KbOptions>
}

export const ImportDocumentInput = z.object({
  id: z
    .string()
    .min(1)
    .max(120)
    .regex(/^[\p{L}\p{N}][\p{L}\p{N}._-]*$/u, '文档编号只能包含文字、数字、点、下划线和连字符'),
  text: DocumentText,
  title: DocumentTitle.optional(),
  issuer: z.string().max(200).optional(),
  date: CalendarDate.optional(),
  url: z.string().max(500).optional(),
  source: z.enum(['file', 'upload']).default('file'),
  /** The file's format, when the text was extracted from a file. */
  format: z.enum(DOCUMENT_FORMATS).optional(),
})
export type ImportDocumentInput = z.input<typeof ImportDocumentInput>

export type ImportOutcome = 'imported' | 'updated' | 'skipped'

export interface ImportResult {
  docId: string
  outcome: ImportOutcome
  chunks: number
}

/** A file to import: its name (the extension says its format) and its bytes. */
export interface ImportFileInput {
  fileName: string
  bytes: Buffer
  /** Defaults to the file name without its extension. */
  id?: string
  /** Defaults to the title found in the file. */
  title?: string
  issuer?: string
  date?: string
  url?: string
  source?: 'file' | 'upload'
}

export interface ImportFileResult extends ImportResult {
  format: DocumentFormat
}

/** What became of one file of a folder import. */
export interface ImportFileReport {
  file: string
  docId: string
  outcome: ImportOutcome | 'refused'
  chunks: number
  /** Refused: why, in Chinese. */
  reason?: string
  /** Refused: EMPTY, BINARY, IMAGE_ONLY_PDF … (see kb-formats.ts), or the error code. */
  code?: RefusalCode | DomainError['code']
}

export interface ImportSummary {
  imported: number
  updated: number
  skipped: number
  /** Chunks written by this import (skipped documents count none). */
  chunks: number
  /** The refused files (also in `files`, with outcome `refused`). */
  failed: Array<{ file: string; error: string }>
  /** One entry a file, in file name order. */
  files: ImportFileReport[]
}

/** Folder imports refuse files larger than this without reading them. */
const MAX_FOLDER_FILE_BYTES = 50 * 1024 * 1024

export interface KbAnswer {
  /** Quote it in feedback. */
  questionId: string
  answer: string
  abstained: boolean
  mode: 'llm' | 'extractive' | 'abstain'
  citations: Citation[]
  /** The nearest documents when abstaining. */
  nearest: Array<{ docId: string; title: string }>
  caseNumber?: string
  /**
   * When abstaining: a document that would have answered but is not in force (expired, abolished,
   * superseded, not yet effective), so the asker hears why the old rule is not quoted.
   */
  retired?: { docId: string; title: string; statusLabel: string }
}

export const FeedbackInput = z
  .object({
    questionId: z.string().min(1).max(100).optional(),
    answerId: z.string().min(1).max(100).optional(),
    helpful: z.boolean(),
    askerId: z.string().max(100).optional(),
  })
  .refine((f) => f.questionId ?? f.answerId, { message: '缺少 questionId' })
export type FeedbackInput = z.infer<typeof FeedbackInput>

export interface UnansweredItem {
  /** The most recent wording (masked). */
  question: string
  count: number
  abstained: number
  unhelpful: number
  lastAskedAt: Date
  topDocs: string[]
  /** Answers staff marked wrong. */
  wrong: number
  /** The latest staff note on a wrong answer of this wording. */
  staffNote?: string
}

/** The knowledge base: import policy documents, answer questions with citations, learn from feedback. */
export interface KbService {
  importDocument(input: ImportDocumentInput): Promise<ImportResult>
  /** Imports one .docx/.pdf/.html/.md/.txt file; a file that is no document throws DocumentRefusedError. */
  importFile(input: ImportFileInput): Promise<ImportFileResult>
  /** Imports every .docx/.pdf/.html/.htm/.md/.markdown/.txt file of a folder (not recursive). */
  importFolder(dir: string): Promise<ImportSummary>
  /**
   * Answers a question. `handOver: false` (a question overheard in a group, not put to the bot):
   * an abstention opens no case and says nothing to staff.
   */
  ask(question: string, options?: { askerId?: string; handOver?: boolean }): Promise<KbAnswer>
  /** Ranked passages without answering or logging (evaluation, benchmarks, staff tools). */
  search(question: string, limit?: number): Promise<SearchHit[]>
  /** The signals the answer-or-abstain decision weighs for a question (evaluation, fitting, staff tools). */
  inspect(question: string): Promise<AbstainFeatures | undefined>
  feedback(input: FeedbackInput): Promise<void>
  unanswered(options?: { limit?: number }): Promise<UnansweredItem[]>
  /** Every document with its status today (现行有效, 已失效 …) and its dates. */
  listDocuments(): Promise<KbDocumentView[]>
  /** Staff change a document's life cycle (see LifecycleChangeInput); returns the document's new view. */
  changeDocument(docId: string, change: unknown, by: string): Promise<KbDocumentView>
  /** Staff mark an answer wrong or right (see ReviewInput). */
  reviewAnswer(questionId: string, review: unknown, by: string): Promise<QuestionView>
  /** Logged questions, newest first, optionally only those reviewed with `verdict`. */
  listQuestions(options?: { verdict?: 'wrong' | 'right'; limit?: number }): Promise<QuestionView[]>
  /** Pairs of documents in force that disagreed on a question, most recent first. */
  listConflicts(options?: { limit?: number }): Promise<ConflictView[]>
  removeDocument(docId: string): Promise<boolean>
  /** Rebuilds the in-memory index from the database. */
  refresh(): Promise<void>
  /** Calls fn with what became of every LLM answer attempt (metrics). */
  onLlmOutcome(fn: (outcome: LlmOutcome) => void): void
}

/**
 * What became of asking the LLM for one question: a grounded answer, one the passages do not
 * support (the extractive answer is given), 无法回答, no usable citation, or a failed call.
 */
export type LlmOutcome = 'grounded' | 'ungrounded' | 'cannot' | 'invalid' | 'error'

const EMBED_BATCH = 32
/** A document is suggested with an abstention from this share of the answering threshold on. */
const SUGGEST_FLOOR = 0.75
/** Bump when the chunker's rules change, so the next import re-cuts unchanged files. */
const CHUNKER_VERSION = 'chunker-3'

/** Builds the knowledge base service over the kb_* collections. */
export function createKbService(deps: KbServiceDeps): KbService {
  const opts: KbOptions = { ...DEFAULT_KB_OPTIONS, ...deps.options }
  const analyzer = createTextAnalyzer(
    deps.vocabulary ?? loadVocabulary(path.resolve('config', 'kb-synonyms.yaml')),
  )
  const limiter = createRateLimiter(opts, deps.clock)
  const log = deps.logger.child({ service: 'kb' })
  const termCache: TermCache = new Map()
  let index: KbIndex | undefined
  /** Documents not in force: searched only to tell an asker that the rule they remember is gone. */
  let retired: KbIndex | undefined
  let lifecycles: LifecycleSnapshot = { today: '', docs: new Map() }
  const today = () => localDate(deps.clock.now(), opts.timezone)
  let fingerprint = ''
  let checkedAt = 0
  let building: Promise<KbIndex> | undefined
  const llmListeners: Array<(outcome: LlmOutcome) => void> = []
  const reportLlm = (outcome: LlmOutcome) => {
    for (const fn of llmListeners) fn(outcome)
  }

  async function currentFingerprint(): Promise<string> {
    const [count, latest] = await Promise.all([
      KbDocumentModel.countDocuments(),
      KbDocumentModel.findOne({}, { updatedAt: 1 }).sort({ updatedAt: -1 }).lean(),
    ])
    return `${count}:${latest?.updatedAt?.getTime() ?? 0}`
  }

  async function rebuild(): Promise<KbIndex> {
    const print = await currentFingerprint()
    const docs = await KbDocumentModel.find().lean()
    const snapshot = snapshotLifecycles(docs, today())
    // Only documents in force answer: expired, abolished, superseded and future ones stay out.
    const byId = new Map(docs.filter((d) => isAnswering(snapshot.docs.get(d.docId))).map((d) => [d.docId, d]))
    const chunks: IndexedChunk[] = []
    for (const c of await KbChunkModel.find({ docId: { $in: [...byId.keys()] } })
      .sort({ docId: 1, ord: 1 })
      .lean()) {
      const doc = byId.get(c.docId)
      if (!doc || doc.hash !== c.docHash) continue // a stale version, removed by the import that replaced it
      chunks.push({
        chunkId: String(c._id),
        docId: c.docId,
        title: doc.title,
        ...(doc.issuer ? { issuer: doc.issuer } : {}),
        ...(doc.url ? { url: doc.url } : {}),
        headings: c.headings,
        text: c.text,
        ...(c.vector && c.vector.length > 0 ? { vector: c.vector } : {}),
      })
    }
    const retiredDocs = new Map(
      docs.filter((d) => !isAnswering(snapshot.docs.get(d.docId))).map((d) => [d.docId, d]),
    )
    const retiredChunks: IndexedChunk[] = []
    if (retiredDocs.size > 0) {
      for (const c of await KbChunkModel.find({ docId: { $in: [...retiredDocs.keys()] } })
        .sort({ docId: 1, ord: 1 })
        .lean()) {
        const doc = retiredDocs.get(c.docId)
        if (!doc || doc.hash !== c.docHash) continue
        retiredChunks.push({
          chunkId: String(c._id),
          docId: c.docId,
          title: doc.title,
          headings: c.headings,
          text: c.text,
        })
      }
    }
    const live = new Set([...chunks, ...retiredChunks].map((c) => c.chunkId))
    for (const id of termCache.keys()) if (!live.has(id)) termCache.delete(id)
    index = buildKbIndex(analyzer, chunks, termCache)
    retired = retiredChunks.length > 0 ? buildKbIndex(analyzer, retiredChunks, termCache) : undefined
    lifecycles = snapshot
    fingerprint = print
    checkedAt = Date.now()
    return index
  }

  async function ensureIndex(): Promise<KbIndex> {
    // On the day a document starts, expires or falls due for review, statuses change: rebuild.
    const dayTurned = lifecycles.nextChange !== undefined && today() >= lifecycles.nextChange
    if (index && !dayTurned) {
      if (Date.now() - checkedAt < opts.refreshIntervalMs) return index
      checkedAt = Date.now()
      if ((await currentFingerprint()) === fingerprint) return index
    }
    building ??= rebuild().finally(() => {
      building = undefined
    })
    return building
  }

  async function embedChunks(texts: string[]): Promise<Array<number[] | undefined>> {
    const embed = deps.llm?.embed
    if (!embed) return texts.map(() => undefined)
    const out: Array<number[] | undefined> = []
    try {
      for (let i = 0; i < texts.length; i += EMBED_BATCH)
        out.push(...(await embed(texts.slice(i, i + EMBED_BATCH))))
      return out
    } catch (err) {
      log.warn({ err: errorText(err) }, 'embedding failed; the document is searchable lexically only')
      return texts.map(() => undefined)
    }
  }

  async function writeDocument(input: z.infer<typeof ImportDocumentInput>): Promise<ImportResult> {
    // The chunking settings are part of the hash: changing them re-cuts every document on the next import.
    const hash = hashText(`${input.text}\n${CHUNKER_VERSION}:${opts.chunkMinChars}:${opts.chunkMaxChars}`)
    const existing = await KbDocumentModel.findOne({ docId: input.id }).lean()
    if (existing && existing.hash === hash) return { docId: input.id, outcome: 'skipped', chunks: 0 }
    const { meta, body, raw } = parseFrontMatter(input.text)
    // Front-matter dates are read (and refused when impossible) with the life-cycle fields.
    const declared = readLifecycle(raw, input.date ? { date: input.date } : {})
    const lifecycle = importLifecycleFields(input.id, declared, existing, today(), opts.reviewMonths)
    const title = cleanTitle(input.title ?? meta.title ?? firstHeading(body)) ?? input.id
    const drafts = chunkDocument(body, title, { minChars: opts.chunkMinChars, maxChars: opts.chunkMaxChars })
    if (drafts.length === 0) throw new InvalidInputError(`文档 ${input.id} 没有可用的正文`)
    const vectors = await embedChunks(drafts.map((d) => [title, ...d.headings, d.text].join('\n')))
    // New chunks first, then the document record, then old chunks out: a crash leaves the old version whole.
    await KbChunkModel.deleteMany({ docId: input.id, docHash: hash })
    await KbChunkModel.insertMany(
      drafts.map((d, ord) => ({
        docId: input.id,
        docHash: hash,
        ord,
        headings: d.headings,
        text: d.text,
        vector: vectors[ord],
      })),
    )
    const fields = {
      title,
      issuer: input.issuer ?? meta.issuer,
      date: input.date ?? meta.date,
      url: input.url ?? meta.url,
      hash,
      chunkCount: drafts.length,
      source: input.source,
      ...(input.format ? { format: input.format } : {}),
      ...lifecycle,
    }
    await KbDocumentModel.updateOne({ docId: input.id }, { $set: fields }, { upsert: true })
    await KbChunkModel.deleteMany({ docId: input.id, docHash: { $ne: hash } })
    await linkReplacements(input.id, declared.replaces)
    return { docId: input.id, outcome: existing ? 'updated' : 'imported', chunks: drafts.length }
  }

  async function importDocument(raw: ImportDocumentInput): Promise<ImportResult> {
    const parsed = ImportDocumentInput.safeParse(raw)
    if (!parsed.success) {
      throw new InvalidInputError(
        '文档格式不正确',
        parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      )
    }
    const result = await withLock(`kb:doc:${parsed.data.id}`, () => writeDocument(parsed.data), {
      ttlMs: 60_000,
      waitMs: 30_000,
    })
    if (result.outcome !== 'skipped') await rebuild()
    log.info({ docId: result.docId, outcome: result.outcome, chunks: result.chunks }, 'kb document imported')
    return result
  }

  /** Extracts a file into the service's document input; throws DocumentRefusedError for a non-document. */
  async function fileInput(
    input: ImportFileInput,
  ): Promise<{ doc: ImportDocumentInput; format: DocumentFormat }> {
    const extracted = await extractDocument(input.fileName, input.bytes)
    if (!extracted.ok) throw new DocumentRefusedError(extracted, input.fileName)
    const title = input.title ?? cleanTitle(extracted.title)
    const issuer = input.issuer ?? extracted.meta.issuer
    const date = input.date ?? extracted.meta.date
    const doc: ImportDocumentInput = {
      id: input.id ?? documentIdFor(input.fileName),
      text: extracted.text,
      source: input.source ?? 'upload',
      format: extracted.meta.format,
      ...(title ? { title } : {}),
      ...(issuer ? { issuer } : {}),
      ...(date ? { date } : {}),
      ...(input.url ? { url: input.url } : {}),
    }
    return { doc, format: extracted.meta.format }
  }

  async function importFile(input: ImportFileInput): Promise<ImportFileResult> {
    const { doc, format } = await fileInput(input)
    return { ...(await importDocument(doc)), format }
  }

  async function importFolder(dir: string): Promise<ImportSummary> {
    const summary: ImportSummary = { imported: 0, updated: 0, skipped: 0, chunks: 0, failed: [], files: [] }
    let entries: string[]
    try {
      entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name)
    } catch {
      throw new NotFoundError(`文件夹 ${dir}`)
    }
    const fileOf = new Map<string, string>()
    for (const file of entries.sort()) {
      if (file.startsWith('.')) continue
      const docId = documentIdFor(file)
      try {
        const wrongType = checkFileType(file)
        if (wrongType) throw new DocumentRefusedError(wrongType)
        const twin = fileOf.get(docId)
        if (twin) throw new InvalidInputError(`与 ${twin} 的文档编号相同（${docId}），请改一个文件名`)
        const full = path.join(dir, file)
        if ((await stat(full)).size > MAX_FOLDER_FILE_BYTES)
          throw new DocumentRefusedError(refuse('TOO_LARGE', '文件太大（超过 50 MB），请拆分或提供文字版'))
        const { doc } = await fileInput({
          fileName: file,
          bytes: await readFile(full),
          id: docId,
          source: 'file',
        })
        const parsed = ImportDocumentInput.safeParse(doc)
        if (!parsed.success) throw new InvalidInputError(parsed.error.issues.map((i) => i.message).join('；'))
        const r = await withLock(`kb:doc:${docId}`, () => writeDocument(parsed.data), {
          ttlMs: 60_000,
          waitMs: 30_000,
        })
        fileOf.set(docId, file)
        summary[r.outcome] += 1
        summary.chunks += r.chunks
        summary.files.push({ file, docId, outcome: r.outcome, chunks: r.chunks })
      } catch (err) {
        const reason = errorText(err)
        const code =
          err instanceof DocumentRefusedError ? err.reason : err instanceof DomainError ? err.code : undefined
        summary.failed.push({ file, error: reason })
        summary.files.push({ file, docId, outcome: 'refused', chunks: 0, reason, ...(code ? { code } : {}) })
      }
    }
    if (summary.imported + summary.updated > 0) await rebuild()
    return summary
  }

  return {
    importDocument,
    importFile,
    importFolder,
    ask: (question, options = {}) =>
      answerQuestion({
        question,
        askerId: options.askerId,
        handOver: options.handOver !== false,
        deps,
        opts,
        analyzer,
        limiter,
        ensureIndex,
        lifecycles: () => lifecycles,
        retired: () => retired,
        log,
        reportLlm,
      }),
    async search(question, limit = 10) {
      const idx = await ensureIndex()
      return idx.search(maskText(question), { limit })
    },
    async inspect(question) {
      const idx = await ensureIndex()
      const masked = maskText(question)
      return abstainFeatures(masked, idx.search(masked, { limit: 10 }), (d) => idx.chunksOf(d), analyzer)
    },
    async feedback(raw) {
      const input = FeedbackInput.parse(raw)
      const questionId = (input.questionId ?? input.answerId) as string
      const q = await KbQuestionModel.findOne({ questionId }).lean()
      if (!q) throw new NotFoundError('这条问答记录')
      if (input.askerId && q.askerId && q.askerId !== input.askerId)
        throw new ForbiddenError('只能评价自己提的问题')
      await KbQuestionModel.updateOne(
        { questionId },
        { $set: { helpful: input.helpful, feedbackAt: deps.clock.now() } },
      )
    },
    unanswered: (options = {}) => listUnanswered(options.limit ?? 20),
    listDocuments: () => listDocumentViews(today()),
    async changeDocument(docId, change, by) {
      const changed = await withLock(
        `kb:doc:${docId}`,
        () => changeLifecycle(docId, change, by, deps.clock.now(), today(), opts.reviewMonths),
        { ttlMs: 60_000, waitMs: 30_000 },
      )
      await rebuild()
      log.info({ docId, by, changed }, 'kb document life cycle changed')
      const view = (await listDocumentViews(today())).find((d) => d.docId === docId)
      if (!view) throw new NotFoundError(`文件「${docId}」`)
      return view
    },
    reviewAnswer: (questionId, review, by) => reviewAnswer(questionId, review, by, deps.clock.now()),
    listQuestions: (options = {}) =>
      listQuestions({ ...options, limit: Math.max(1, Math.min(options.limit ?? 50, 200)) }),
    listConflicts: (options = {}) => listConflicts(Math.max(1, Math.min(options.limit ?? 50, 200))),
    async removeDocument(docId) {
      const res = await KbDocumentModel.deleteOne({ docId })
      await KbChunkModel.deleteMany({ docId })
      if (res.deletedCount > 0) await rebuild()
      return res.deletedCount > 0
    },
    async refresh() {
      await rebuild()
    },
    onLlmOutcome(fn) {
      llmListeners.push(fn)
    },
  }
}

interface AskContext {
  question: string
  askerId?: string
  /** An abstention is handed to staff (a case); false for questions overheard in a group. */
  handOver: boolean
  deps: KbServiceDeps
  opts: KbOptions
  analyzer: ReturnType<typeof createTextAnalyzer>
  limiter: ReturnType<typeof createRateLimiter>
  ensureIndex: () => Promise<KbIndex>
  /** The documents' statuses as of the index's last build. */
  lifecycles: () => LifecycleSnapshot
  retired: () => KbIndex | undefined
  log: Logger
  reportLlm: (outcome: LlmOutcome) => void
}

/** Retrieve → judge the evidence → answer (LLM or extractive) or abstain → log the question. */
async function answerQuestion(ctx: AskContext): Promise<KbAnswer> {
  const question = ctx.question.trim()
  if (question.length === 0) throw new InvalidInputError('请输入您想咨询的问题')
  if (question.length > 500) throw new InvalidInputError('问题太长了，请简短描述（500字以内）')
  const masked = maskText(question)
  const questionId = randomUUID()
  const index = await ctx.ensureIndex()
  const queryVector = await embedQuery(ctx, masked, index)
  const hits = await settleDisagreements(
    ctx,
    masked,
    index.search(masked, { limit: 10, ...(queryVector ? { queryVector } : {}) }),
  )
  const top = hits[0]
  const confident =
    top !== undefined &&
    ((top.cosine !== undefined && top.cosine >= ctx.opts.minCosine) || answers(ctx, masked, hits, index))
  let result: Omit<KbAnswer, 'questionId'>
  if (!confident) {
    result = await abstain(ctx, question, masked, questionId, hits)
  } else {
    const passages = selectPassages(hits, ctx.opts.passages)
    result =
      (await tryLlm(ctx, masked, passages, questionId)) ?? extractive(ctx, masked, hits, passages, index)
    if (result.mode === 'abstain') result = await abstain(ctx, question, masked, questionId, hits)
  }
  const withheldFor = result.abstained ? undefined : await reviewedWrong(ctx, masked, result)
  if (withheldFor) result = await abstain(ctx, question, masked, questionId, hits)
  else if (!result.abstained) result = withReviewCaveat(ctx, result)
  await logQuestion(ctx, questionId, masked, result, withheldFor)
  return { questionId, ...result }
}

/**
 * Whether the documents answer the question: the fitted model's probability over several signals
 * (the best passage's and document's coverage, the main noun, the answering clause, the lead over
 * the next document), or without a model the best passage's coverage alone.
 */
function answers(ctx: AskContext, masked: string, hits: SearchHit[], index: KbIndex): boolean {
  const top = hits[0]
  if (!top) return false
  const model = ctx.opts.abstainModel
  if (!model) return top.coverage >= ctx.opts.minCoverage
  const features = abstainFeatures(masked, hits, (d) => index.chunksOf(d), ctx.analyzer)
  return features !== undefined && answerProbability(features, model) >= model.threshold
}

/** The clause of the best document that answers the question, with the article it stands in. */
function extractive(
  ctx: AskContext,
  masked: string,
  hits: SearchHit[],
  passages: SearchHit[],
  index: KbIndex,
): Omit<KbAnswer, 'questionId'> {
  const [best] = pickClauses(masked, hits, (docId) => index.chunksOf(docId), ctx.analyzer)
  if (!best) {
    return {
      answer: composeExtractive(masked, extractiveHits(passages), ctx.analyzer),
      abstained: false,
      mode: 'extractive',
      citations: extractiveHits(passages).map(citationOf),
      nearest: [],
    }
  }
  const chunks = index.chunksOf(best.docId).filter((c) => best.chunkIds.includes(c.chunkId))
  const first = chunks[0] as IndexedChunk
  const citation: Citation = {
    docId: best.docId,
    title: best.title,
    passage: chunks.map((c) => c.text).join('\n'),
    headings: first.headings,
    ...(best.article ? { article: best.article } : {}),
    ...(best.issuer ? { issuer: best.issuer } : {}),
    ...(best.url ? { url: best.url } : {}),
  }
  return {
    answer: formatClauseAnswer([best]),
    abstained: false,
    mode: 'extractive',
    citations: [citation],
    nearest: [],
  }
}

/** Answers from the newer of two documents in force that disagree, and records the pair for staff. */
async function settleDisagreements(
  ctx: AskContext,
  masked: string,
  found: SearchHit[],
): Promise<SearchHit[]> {
  const { hits, conflicts } = settleConflicts(
    found,
    ctx.lifecycles().docs,
    ctx.analyzer,
    ctx.opts.minCoverage,
  )
  for (const c of conflicts) await recordConflict(c, masked, ctx.deps.clock.now(), ctx.log)
  return hits
}

/** The review that marked this wording's answer wrong, when the answer would repeat it. */
async function reviewedWrong(
  ctx: AskContext,
  masked: string,
  r: Omit<KbAnswer, 'questionId'>,
): Promise<string | undefined> {
  const docs = ctx.lifecycles().docs
  const cited = new Set(r.citations.map((c) => c.docId))
  try {
    return await withheldBy(normalizeQuestion(masked), cited, (id) => docs.get(id)?.hash)
  } catch (err) {
    ctx.log.error({ err: errorText(err) }, 'could not check staff reviews; answering')
    return undefined
  }
}

/** An answer resting on a document due for review says so. */
function withReviewCaveat(ctx: AskContext, r: Omit<KbAnswer, 'questionId'>): Omit<KbAnswer, 'questionId'> {
  const docs = ctx.lifecycles().docs
  const due = r.citations.some((c) => docs.get(c.docId)?.status === 'review_due')
  return due ? { ...r, answer: `${r.answer}\n${REVIEW_DUE_CAVEAT}` } : r
}

/** The top passages, at most two per document, best first. */
function selectPassages(hits: SearchHit[], n: number): SearchHit[] {
  const perDoc = new Map<string, number>()
  const out: SearchHit[] = []
  for (const h of hits) {
    const seen = perDoc.get(h.chunk.docId) ?? 0
    if (seen >= 2) continue
    perDoc.set(h.chunk.docId, seen + 1)
    out.push(h)
    if (out.length >= n) break
  }
  return out
}

/** The best passage, plus a second one of the same strength (a question spanning two articles). */
function extractiveHits(passages: SearchHit[]): SearchHit[] {
  const [first, second] = passages
  if (!first) return []
  if (second && second.score >= first.score * 0.9 && second.coverage >= first.coverage * 0.9)
    return [first, second]
  return [first]
}

async function embedQuery(ctx: AskContext, masked: string, index: KbIndex): Promise<number[] | undefined> {
  const embed = ctx.deps.llm?.embed
  if (!embed || index.size === 0) return undefined
  try {
    const [vector] = await withTimeout(embed([masked]), Math.min(ctx.opts.llmTimeoutMs, 3000))
    return vector
  } catch (err) {
    ctx.log.warn({ err: errorText(err) }, 'query embedding failed; lexical retrieval only')
    return undefined
  }
}

/** Asks the LLM to write the answer from the passages; undefined means "answer extractively". */
async function tryLlm(
  ctx: AskContext,
  masked: string,
  passages: SearchHit[],
  questionId: string,
): Promise<Omit<KbAnswer, 'questionId'> | undefined> {
  const llm = ctx.deps.llm
  if (!llm || passages.length === 0) return undefined
  if (!ctx.limiter.tryTake(ctx.askerId)) {
    ctx.log.info('llm rate limit reached; answering extractively')
    return undefined
  }
  const deadline = Date.now() + ctx.opts.llmTimeoutMs
  const user = buildUserPrompt(masked, passages)
  let problem: LlmOutcome | undefined
  for (let attempt = 0; attempt <= ctx.opts.llmRetries; attempt++) {
    const left = deadline - Date.now()
    if (left < 200) break
    try {
      const reply = await withTimeout(
        llm.chatText({ system: KB_SYSTEM_PROMPT, user, timeoutMs: left, maxTokens: 400 }),
        left,
      )
      const verdict = judgeLlmReply(reply, passages)
      if (verdict.kind === 'cannot') {
        ctx.reportLlm('cannot')
        return { answer: '', abstained: true, mode: 'abstain', citations: [], nearest: [] }
      }
      if (verdict.kind === 'answer') {
        // Checked, not assumed: every sentence must be supported by the passages it cites.
        const grounding = checkGrounding(
          reply,
          passages.map((p) => p.chunk),
          ctx.analyzer,
          { question: masked },
        )
        if (!grounding.ok) {
          // The sentence is the model's, written from the masked question; no retry, the extract is sure.
          const { reason, detail, sentence } = grounding
          ctx.log.warn(
            { questionId, reason, detail, sentence },
            'llm answer not grounded; answering extractively',
          )
          ctx.reportLlm('ungrounded')
          return undefined
        }
        ctx.reportLlm('grounded')
        const citations = verdict.cited.map((n) => citationOf(passages[n - 1] as SearchHit))
        return { answer: verdict.text, abstained: false, mode: 'llm', citations, nearest: [] }
      }
      ctx.log.warn({ questionId, reason: verdict.reason, attempt }, 'llm answer rejected')
      problem = 'invalid'
    } catch (err) {
      ctx.log.warn({ questionId, err: errorText(err), attempt }, 'llm answer failed')
      problem = 'error'
    }
  }
  if (problem) ctx.reportLlm(problem)
  return undefined
}

async function abstain(
  ctx: AskContext,
  question: string,
  masked: string,
  questionId: string,
  hits: SearchHit[],
): Promise<Omit<KbAnswer, 'questionId'>> {
  const nearest: Array<{ docId: string; title: string }> = []
  // Only documents about the question's subject are suggested: above a relevance floor, and holding
  // the question's main noun (独生子女 is not answered by a school-enrolment plan that says 子女).
  const units = queryUnits(masked, ctx.analyzer.topicWords(masked))
  const main = units.filter((u) => u.noun).sort((a, b) => b.weight - a.weight)[0]
  const about = (h: SearchHit) =>
    !main ||
    unitCoverage(
      main,
      normalizeText(`${h.chunk.title} ${h.chunk.headings.join(' ')}\n${h.chunk.text}`),
      ctx.analyzer,
    ) >= 0.75
  for (const h of hits) {
    if (h.coverage < ctx.opts.minCoverage * SUGGEST_FLOOR || nearest.some((d) => d.docId === h.chunk.docId))
      continue
    if (!about(h)) continue
    nearest.push({ docId: h.chunk.docId, title: h.chunk.title })
    if (nearest.length >= 2) break
  }
  const gone = ctx.retired()?.search(masked, { limit: 3 })[0]
  const goneDoc = gone ? ctx.lifecycles().docs.get(gone.chunk.docId) : undefined
  const retiredDoc =
    gone && goneDoc && gone.coverage >= ctx.opts.minCoverage && about(gone)
      ? { docId: gone.chunk.docId, title: gone.chunk.title, statusLabel: goneDoc.statusLabel }
      : undefined
  let caseNumber: string | undefined
  if (ctx.deps.onAbstain && ctx.handOver) {
    try {
      caseNumber =
        (await ctx.deps.onAbstain(question, {
          questionId,
          askerId: ctx.askerId,
          maskedQuestion: masked,
          nearestDocs: nearest,
        })) ?? undefined
    } catch (err) {
      ctx.log.error({ err: errorText(err), questionId }, 'opening a policy_consult case failed')
    }
  }
  return {
    answer: composeAbstention(nearest, caseNumber, retiredDoc),
    abstained: true,
    mode: 'abstain',
    citations: [],
    nearest,
    ...(caseNumber ? { caseNumber } : {}),
    ...(retiredDoc ? { retired: retiredDoc } : {}),
  }
}

async function logQuestion(
  ctx: AskContext,
  questionId: string,
  masked: string,
  r: Omit<KbAnswer, 'questionId'>,
  withheldFor?: string,
) {
  const topDocs = r.abstained ? r.nearest.map((d) => d.docId) : [...new Set(r.citations.map((c) => c.docId))]
  try {
    await KbQuestionModel.create({
      questionId,
      askerId: ctx.askerId,
      text: masked,
      normalized: normalizeQuestion(masked),
      abstained: r.abstained,
      mode: r.mode,
      topDocs,
      caseNumber: r.caseNumber,
      askedAt: ctx.deps.clock.now(),
      answer: r.answer,
      withheldFor,
    })
  } catch (err) {
    ctx.log.error({ err: errorText(err), questionId }, 'could not log the question')
  }
}

/** Groups repeated questions: NFKC, lower case, no punctuation, spaces or trailing particles. */
export function normalizeQuestion(text: string): string {
  return normalizeText(text)
    .replace(/[\s\p{P}\p{S}]/gu, '')
    .replace(/(吗|呢|啊|呀|吧|嘛)+$/u, '')
}

async function listUnanswered(limit: number): Promise<UnansweredItem[]> {
  const rows = await KbQuestionModel.find({
    $or: [{ abstained: true }, { helpful: false }, { 'review.verdict': 'wrong' }],
  })
    .sort({ askedAt: -1 })
    .limit(5000)
    .lean()
  const groups = new Map<string, UnansweredItem>()
  for (const r of rows) {
    const g = groups.get(r.normalized)
    if (!g) {
      groups.set(r.normalized, {
        question: r.text,
        count: 1,
        abstained: r.abstained ? 1 : 0,
        unhelpful: r.helpful === false ? 1 : 0,
        lastAskedAt: r.askedAt,
        topDocs: r.topDocs,
        wrong: r.review?.verdict === 'wrong' ? 1 : 0,
        ...(r.review?.verdict === 'wrong' && r.review.note ? { staffNote: r.review.note } : {}),
      })
      continue
    }
    g.count += 1
    if (r.abstained) g.abstained += 1
    if (r.helpful === false) g.unhelpful += 1
    if (r.review?.verdict === 'wrong') g.wrong += 1
    // Rows come newest first: the first note seen is the latest question's.
    if (r.review?.verdict === 'wrong' && r.review.note) g.staffNote ??= r.review.note
  }
  return [...groups.values()]
    .sort((a, b) => b.count - a.count || b.lastAskedAt.getTime() - a.lastAskedAt.getTime())
    .slice(0, Math.max(1, Math.min(limit, 200)))
}

function firstHeading(body: string): string | undefined {
  const m = /^#\s+(.+)$/m.exec(body)
  return m ? (m[1] as string).trim() : undefined
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** The knowledge base settings of the loaded configuration, as service options. */
export function kbSettingsFromConfig(
  config: Config,
): Required<Pick<KbServiceDeps, 'options' | 'vocabulary'>> {
  const { kb, llm } = config
  const modelFile = path.resolve(kb.abstainModelFile)
  return {
    vocabulary: loadVocabulary(path.resolve(kb.vocabularyFile)),
    options: {
      ...(existsSync(modelFile) ? { abstainModel: loadAbstainModel(modelFile) } : {}),
      minCoverage: kb.minCoverage,
      minCosine: kb.minCosine,
      chunkMinChars: kb.chunkMinChars,
      chunkMaxChars: kb.chunkMaxChars,
      passages: kb.passages,
      reviewMonths: kb.reviewMonths,
      timezone: config.timezone,
      refreshIntervalMs: kb.refreshSeconds * 1000,
      llmTimeoutMs: llm.timeoutMs,
      llmRetries: llm.maxRetries,
      perAskerPerHour: llm.perResidentPerHour,
      globalPerMinute: llm.globalPerMinute,
    },
  }
}
