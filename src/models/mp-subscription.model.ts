import { type InferSchemaType, model, Schema, type Types } from 'mongoose'

/**
 * Mini-program subscribe messages (订阅消息): what each person answered to `wx.requestSubscribeMessage`.
 * One summary per person and template (latest answer, how many times accepted); one grant per accepted
 * one-time (一次性) subscription; one use per consumed grant, unique by grant, so two concurrent sends can
 * never spend the same grant (the unique insert decides, also on FerretDB). Long-term (长期) templates are
 * not consumed: the latest answer decides.
 */
export const SUBSCRIBE_RESULTS = ['accept', 'reject', 'ban', 'filter'] as const
export type SubscribeResult = (typeof SUBSCRIBE_RESULTS)[number]

const subscriptionSchema = new Schema(
  {
    personId: { type: Schema.Types.ObjectId, ref: 'Resident', required: true },
    templateId: { type: String, required: true },
    kind: { type: String, enum: ['once', 'long'], required: true },
    lastResult: { type: String, enum: SUBSCRIBE_RESULTS, required: true },
    accepts: { type: Number, default: 0 },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
)
subscriptionSchema.index({ personId: 1, templateId: 1 }, { unique: true })

const grantSchema = new Schema(
  {
    personId: { type: Schema.Types.ObjectId, ref: 'Resident', required: true },
    templateId: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
)
grantSchema.index({ personId: 1, templateId: 1, at: 1 })

const useSchema = new Schema(
  {
    grantId: { type: Schema.Types.ObjectId, required: true, unique: true },
    personId: { type: Schema.Types.ObjectId, required: true },
    templateId: { type: String, required: true },
    /** The outbox key of the message that spent it. */
    key: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
)
useSchema.index({ personId: 1, templateId: 1 })

export const MpSubscriptionModel = model('MpSubscription', subscriptionSchema, 'mp_subscriptions')
export const MpSubscriptionGrantModel = model('MpSubscriptionGrant', grantSchema, 'mp_subscription_grants')
export const MpSubscriptionUseModel = model('MpSubscriptionUse', useSchema, 'mp_subscription_uses')
export type MpSubscription = InferSchemaType<typeof subscriptionSchema> & { _id: Types.ObjectId }
