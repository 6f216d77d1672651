import { type InferSchemaType, model, Schema, type Types } from 'mongoose'

export const AUDIT_ACTIONS = [
  'reveal_personal_data',
  'export_personal_data',
  'erase_resident',
  'change_kb_document',
  'approve_console_login',
  'change_wecom_user_id',
  'link_household_proxy',
] as const

/** Actions about a resident's personal data: they name the resident. */
const PERSONAL_DATA_ACTIONS: readonly string[] = [
  'reveal_personal_data',
  'export_personal_data',
  'erase_resident',
]
export type AuditAction = (typeof AUDIT_ACTIONS)[number]

/**
 * Append-only record of staff access to a resident's personal data (PIPL): who, when, why, whose.
 * Never holds the numbers themselves. Staff changes to a knowledge-base document's life cycle are
 * recorded here too (`subject` names the document, no resident), and so is a staff member approving a
 * console sign-in from the mini-program (`subject` names the ticket by its hash), and a staff member
 * setting or clearing a person's WeCom userid (`subject` holds the old and new id).
 */
const auditSchema = new Schema({
  action: { type: String, enum: AUDIT_ACTIONS, required: true },
  actorId: { type: String, required: true, index: true },
  residentId: {
    type: Schema.Types.ObjectId,
    ref: 'Resident',
    required(this: { action?: string }) {
      return PERSONAL_DATA_ACTIONS.includes(this.action ?? '')
    },
    index: true,
  },
  /** What else was acted on, e.g. `kb_document:elderly-allowance-2026`. */
  subject: String,
  reason: { type: String, required: true },
  /** Which personal fields were shown (phone, idNumber); for a document, which fields changed. */
  fields: { type: [String], default: [] },
  at: { type: Date, required: true, index: true },
})
export const AuditModel = model('Audit', auditSchema, 'audit')
export type AuditRecord = InferSchemaType<typeof auditSchema> & { _id: Types.ObjectId }
