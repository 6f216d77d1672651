import { type InferSchemaType, model, Schema, type Types } from 'mongoose'

/**
 * A policy document of the knowledge base. `docId` is the file name without extension; `hash` is the
 * content hash of the imported text, so re-importing an unchanged file is skipped.
 */
const kbDocumentSchema = new Schema(
  {
    docId: { type: String, required: true, unique: true },
    title: { type: String, required: true },
    issuer: String,
    /** The issue date as the document gave it (older imports); `issuedOn` is the checked day. */
    date: String,
    url: String,
    /** Life cycle, as local days `YYYY-MM-DD` (see kb-lifecycle.ts for the in-force rule). */
    issuedOn: String,
    effectiveFrom: String,
    expiresOn: String,
    abolishedOn: String,
    /** The docId of the document that replaces this one. */
    supersededBy: String,
    /** The docIds this document declared it `replaces`. */
    replaces: { type: [String], default: [] },
    reviewBy: String,
    /** The staff member who last changed the life cycle by hand, and when. */
    lifecycleChangedBy: String,
    lifecycleChangedAt: Date,
    hash: { type: String, required: true },
    chunkCount: { type: Number, required: true },
    /** Where it came from: a CLI import folder, an upload through the API. */
    source: { type: String, enum: ['file', 'upload'], default: 'file' },
    /** The file's format (docx, pdf, html, markdown, text) when it was imported from a file. */
    format: String,
  },
  { timestamps: true },
)
export const KbDocumentModel = model('KbDocument', kbDocumentSchema, 'kb_documents')
export type KbDocumentDoc = InferSchemaType<typeof kbDocumentSchema> & { _id: Types.ObjectId }

/**
 * One chunk of a document, cut along the document's own structure. `headings` is the heading path
 * (section titles and article markers above the chunk); `vector` is present when embeddings are on.
 */
const kbChunkSchema = new Schema(
  {
    docId: { type: String, required: true },
    /** The document hash the chunk was cut from: chunks of an older version are removed after import. */
    docHash: { type: String, required: true },
    ord: { type: Number, required: true },
    headings: { type: [String], default: [] },
    text: { type: String, required: true },
    vector: { type: [Number], default: undefined },
  },
  { timestamps: false },
)
kbChunkSchema.index({ docId: 1, docHash: 1, ord: 1 }, { unique: true })
export const KbChunkModel = model('KbChunk', kbChunkSchema, 'kb_chunks')
export type KbChunkDoc = InferSchemaType<typeof kbChunkSchema> & { _id: Types.ObjectId }

/**
 * Every question asked (masked text only), what came of it, and the asker's feedback: the list of
 * unanswered and unhelpful questions staff use to grow the knowledge base.
 */
const kbQuestionSchema = new Schema(
  {
    questionId: { type: String, required: true, unique: true },
    askerId: String,
    /** The question with phone and ID numbers masked. */
    text: { type: String, required: true },
    /** Lower-cased, punctuation-free form used to group repeated questions. */
    normalized: { type: String, required: true },
    abstained: { type: Boolean, required: true },
    mode: { type: String, enum: ['llm', 'extractive', 'abstain'], required: true },
    topDocs: { type: [String], default: [] },
    caseNumber: String,
    helpful: { type: Boolean, default: undefined },
    feedbackAt: Date,
    askedAt: { type: Date, required: true },
    /** The answer given (composed from the documents; the question inside it is masked). */
    answer: String,
    /** The questionId of a reviewed-wrong question whose answer this one was not given again. */
    withheldFor: String,
    /** A staff member's verdict on the answer; the latest review replaces an earlier one. */
    review: {
      type: new Schema(
        {
          verdict: { type: String, enum: ['wrong', 'right'], required: true },
          note: String,
          correctDocId: String,
          by: { type: String, required: true },
          at: { type: Date, required: true },
          /** The content hashes of the cited documents at review time: a changed document lifts a "wrong". */
          docHashes: { type: [{ docId: String, hash: String, _id: false }], default: [] },
        },
        { _id: false },
      ),
      default: undefined,
    },
  },
  { timestamps: false },
)
kbQuestionSchema.index({ abstained: 1, askedAt: -1 })
kbQuestionSchema.index({ normalized: 1, 'review.at': -1 })
kbQuestionSchema.index({ 'review.verdict': 1, 'review.at': -1 })
kbQuestionSchema.index({ helpful: 1, askedAt: -1 })
export const KbQuestionModel = model('KbQuestion', kbQuestionSchema, 'kb_questions')
export type KbQuestionDoc = InferSchemaType<typeof kbQuestionSchema> & { _id: Types.ObjectId }

/**
 * Two documents in force that gave different numbers for the same question: one record per pair
 * (`docA` < `docB`), counted, with the last question; answers used the newer document.
 */
const kbConflictSchema = new Schema(
  {
    docA: { type: String, required: true },
    docB: { type: String, required: true },
    /** The document the answers used (later effective or issue date). */
    newerDocId: { type: String, required: true },
    count: { type: Number, required: true, default: 0 },
    lastQuestion: { type: String, required: true },
    /** The differing figures, e.g. ["元: 100 ≠ 200"]. */
    differences: { type: [String], default: [] },
    firstSeenAt: { type: Date, required: true },
    lastSeenAt: { type: Date, required: true },
  },
  { timestamps: false },
)
kbConflictSchema.index({ docA: 1, docB: 1 }, { unique: true })
export const KbConflictModel = model('KbConflict', kbConflictSchema, 'kb_conflicts')
export type KbConflictDoc = InferSchemaType<typeof kbConflictSchema> & { _id: Types.ObjectId }
