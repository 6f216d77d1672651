import { type InferSchemaType, model, Schema, type Types } from 'mongoose'

/** A refresh token (stored hashed): revocable, rotated on every use. */
const refreshTokenSchema = new Schema(
  {
    hash: { type: String, required: true, unique: true },
    personId: { type: Schema.Types.ObjectId, ref: 'Resident', required: true, index: true },
    family: { type: String, required: true, index: true }, // all rotations of one login
    expiresAt: { type: Date, required: true },
    usedAt: Date,
    revokedAt: Date,
  },
  { timestamps: true },
)
export const RefreshTokenModel = model('RefreshToken', refreshTokenSchema, 'refresh_tokens')

/** An admin API key for integrations and the CLI; only its hash is stored. */
const apiKeySchema = new Schema(
  {
    name: { type: String, required: true },
    prefix: { type: String, required: true }, // first characters, to tell keys apart in lists
    hash: { type: String, required: true, unique: true },
    personId: { type: Schema.Types.ObjectId, ref: 'Resident', required: true },
    revokedAt: Date,
    lastUsedAt: Date,
  },
  { timestamps: true },
)
export const ApiKeyModel = model('ApiKey', apiKeySchema, 'api_keys')
export type ApiKeyDoc = InferSchemaType<typeof apiKeySchema> & { _id: Types.ObjectId }

/** A one-time invite code that binds a staff account to the WeChat identity that redeems it. */
const inviteSchema = new Schema(
  {
    hash: { type: String, required: true, unique: true },
    personId: { type: Schema.Types.ObjectId, ref: 'Resident', required: true },
    createdById: { type: Schema.Types.ObjectId, ref: 'Resident' },
    expiresAt: { type: Date, required: true },
    usedAt: Date,
  },
  { timestamps: true },
)
export const InviteModel = model('Invite', inviteSchema, 'invites')

/** One redemption per invite: the unique insert decides who wins when a code is used twice at once. */
const inviteUseSchema = new Schema({ _id: { type: String, required: true }, at: Date }, { versionKey: false })
export const InviteUseModel = model('InviteUse', inviteUseSchema, 'invite_uses')

/** One rotation per refresh token: the unique insert makes reuse detectable under concurrency. */
const refreshUseSchema = new Schema(
  { _id: { type: String, required: true }, at: Date },
  { versionKey: false },
)
export const RefreshUseModel = model('RefreshUse', refreshUseSchema, 'refresh_uses')

/**
 * A live login, keyed by its refresh-token family. Access tokens name it (`sid`) and are refused once
 * it is gone: deleting it (logout, reuse, erasure) ends the session at once, in every process.
 */
const authSessionSchema = new Schema(
  {
    _id: { type: String, required: true },
    personId: { type: Schema.Types.ObjectId, ref: 'Resident', required: true, index: true },
    at: Date,
  },
  { versionKey: false },
)
export const AuthSessionModel = model('AuthSession', authSessionSchema, 'auth_sessions')

/**
 * When an API key was last used, apart from the key: on FerretDB a write to the key's own document
 * racing its revocation could undo the revocation (whole-document updates clobber each other).
 */
const apiKeyUseSchema = new Schema({ _id: { type: String, required: true }, at: Date }, { versionKey: false })
export const ApiKeyUseModel = model('ApiKeyUse', apiKeyUseSchema, 'api_key_uses')
