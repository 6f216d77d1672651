import { type InferSchemaType, model, Schema } from 'mongoose'

/**
 * A 企业群发 draft of a notice for one staff member's customer groups (externalcontact/add_msg_template,
 * chat_type group). `_id` is `<noticeId>:<sender userid>`, so a notice gets one draft per sender, decided
 * by the insert: the claim is stored first (`creating`), WeCom's msgid recorded when it answers
 * (`created`). The send state is what get_groupmsg_task / get_groupmsg_send_result said when last asked.
 */
const groupDraftSchema = new Schema(
  {
    _id: { type: String, required: true },
    noticeId: { type: String, required: true },
    sender: { type: String, required: true },
    state: { type: String, enum: ['creating', 'created'], required: true },
    msgid: String,
    claimedAt: { type: Date, required: true },
    createdBy: { type: String, required: true },
    createdAt: Date,
    /** unsent: the member has not confirmed it yet; sent: they sent it (to `sentGroups` groups). */
    sendStatus: { type: String, enum: ['unsent', 'sent'], default: 'unsent' },
    sentGroups: { type: Number, default: 0 },
    checkedAt: Date,
  },
  { collection: 'wecom_group_drafts', versionKey: false },
)
groupDraftSchema.index({ noticeId: 1 })
export type GroupDraftDoc = InferSchemaType<typeof groupDraftSchema>
export const WeComGroupDraftModel = model('WeComGroupDraft', groupDraftSchema)
