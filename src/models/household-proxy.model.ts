import { type InferSchemaType, model, Schema, type Types } from 'mongoose'

export const PROXY_RELATIONS = ['family', 'lianhuzhang'] as const
export type ProxyRelation = (typeof PROXY_RELATIONS)[number]

/**
 * A person who may act for a household (代办): a family member (even outside the community) or the
 * household's 联户长. Linked by staff (audited) or confirmed by a resident of the household; one link
 * per (household, person). `label` is how the proxy names the household (「我妈」), shown back to them.
 */
const householdProxySchema = new Schema(
  {
    householdId: { type: Schema.Types.ObjectId, ref: 'Household', required: true },
    personId: { type: Schema.Types.ObjectId, ref: 'Resident', required: true },
    relation: { type: String, enum: PROXY_RELATIONS, required: true },
    label: { type: String, default: '' },
    status: { type: String, enum: ['active', 'revoked'], default: 'active' },
    /** Staff who linked it, or the household's resident who confirmed it. */
    linkedById: { type: Schema.Types.ObjectId, ref: 'Resident', required: true },
    linkedAs: { type: String, enum: ['staff', 'resident'], required: true },
    createdAt: { type: Date, required: true },
    revokedAt: Date,
  },
  { versionKey: false },
)
householdProxySchema.index({ householdId: 1, personId: 1 }, { unique: true })
householdProxySchema.index({ personId: 1, status: 1 })
export const HouseholdProxyModel = model('HouseholdProxy', householdProxySchema, 'household_proxies')
export type HouseholdProxyDoc = InferSchemaType<typeof householdProxySchema> & { _id: Types.ObjectId }
