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

/**
 * A console sign-in by QR code (扫码登录): the console shows a ticket, a staff member signed in to the
 * mini-program approves it, the console's poll receives a session once. Only the ticket's hash is
 * kept, as the `_id` (every poll is one `_id` lookup). The daily retention job deletes it at `purgeAt`,
 * a day after it expires (so a late poll still reads "expired"); not a TTL index: the embedded
 * FerretDB refuses `expireAfterSeconds` ("not implemented yet").
 */
const consoleTicketSchema = new Schema(
  {
    _id: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    purgeAt: { type: Date, required: true },
  },
  { versionKey: false },
)
export const ConsoleTicketModel = model('ConsoleTicket', consoleTicketSchema, 'console_tickets')

/**
 * What happened to a ticket, one document per step, keyed `<ticketId>:decision` (approved or refused,
 * by whom) and `<ticketId>:delivery` (the session handed to the console): the unique `_id` insert
 * decides a race between two approvals or two polls, on FerretDB as on MongoDB.
 */
const consoleTicketStepSchema = new Schema(
  {
    _id: { type: String, required: true },
    ticketId: { type: String, required: true },
    decision: { type: String, enum: ['approved', 'refused'] },
    personId: { type: Schema.Types.ObjectId, ref: 'Resident' },
    at: { type: Date, required: true },
    purgeAt: { type: Date, required: true },
  },
  { versionKey: false },
)
export const ConsoleTicketStepModel = model(
  'ConsoleTicketStep',
  consoleTicketStepSchema,
  'console_ticket_steps',
)
