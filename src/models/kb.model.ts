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
    date: String,
    url: String,
    hash: { type: String, required: true },
    chunkCount: { type: Number, required: true },
    /** Where it came from: a CLI import folder, an upload through the API. */
    source: { type: String, enum: ['file', 'upload'], default: 'file' },
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
  },
  { timestamps: false },
)
kbQuestionSchema.index({ abstained: 1, askedAt: -1 })
kbQuestionSchema.index({ helpful: 1, askedAt: -1 })
export const KbQuestionModel = model('KbQuestion', kbQuestionSchema, 'kb_questions')
export type KbQuestionDoc = InferSchemaType<typeof kbQuestionSchema> & { _id: Types.ObjectId }
