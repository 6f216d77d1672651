import { createHash, createHmac, hkdfSync, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { Types } from 'mongoose'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import type { Config } from '../../lib/config.js'
import { DomainError, ForbiddenError, isDuplicateKeyError, UnavailableError } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import {
  ApiKeyModel,
  ApiKeyUseModel,
  AuthSessionModel,
  InviteModel,
  InviteUseModel,
  RefreshTokenModel,
  RefreshUseModel,
} from '../../models/auth.model.js'
import { topicCache } from '../../models/cache-version.model.js'
import { type Resident, ResidentModel, type Role } from '../../models/registry.model.js'
import { cachedStaffView } from '../registry/registry.cache.js'
import { endPersonSessions, endSession } from './auth.sessions.js'

/** Who is calling, as every adapter sees it. */
export interface Actor {
  personId: string
  roles: Role[]
  communityIds: string[]
  gridIds: string[]
  departmentId?: string
  /**
   * A merchant login (商户核销员): the merchant whose shop items it may verify, and where. Its
   * communities are here, not in `communityIds`, so no community-wide check lets it in.
   */
  merchant?: { name: string; communityIds: string[] }
  via: 'token' | 'api_key' | 'dev'
}

export interface Session {
  accessToken: string
  refreshToken: string
  /** Seconds until the access token expires. */
  expiresIn: number
  actor: Actor
}

const ACCESS_TTL_S = 15 * 60
const REFRESH_TTL_MS = 30 * 24 * 3600_000
const INVITE_TTL_MS = 7 * 24 * 3600_000

const AccessPayload = z.object({
  sub: z.string(),
  roles: z.array(z.string()),
  c: z.array(z.string()),
  g: z.array(z.string()),
  d: z.string().optional(),
  /** A merchant login's merchant: its name and communities. */
  m: z.object({ n: z.string(), c: z.array(z.string()) }).optional(),
  /** The session (refresh-token family) the token belongs to: no session, no access. */
  sid: z.string(),
  exp: z.number(),
})

const Code2SessionReply = z.object({
  openid: z.string().min(1).optional(),
  session_key: z.string().optional(),
  unionid: z.string().optional(),
  errcode: z.number().optional(),
  errmsg: z.string().optional(),
})

function unauthenticated(message = '登录已失效，请重新登录'): DomainError {
  return new DomainError('UNAUTHENTICATED', message)
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex')
}

function b64(buf: Buffer | string): string {
  return Buffer.from(buf).toString('base64url')
}

/** The actor a person acts as, from their roles and staff scope. */
export function actorOf(
  person: Pick<Resident, 'roles' | 'staff' | 'communityId'> & { _id: Types.ObjectId },
  via: Actor['via'],
): Actor {
  const roles = (person.roles ?? []) as Role[]
  const merchantOnly = roles.includes('merchant') && roles.every((r) => r === 'merchant' || r === 'resident')
  const scoped = (person.staff?.communityIds ?? []).map(String)
  const communityIds = merchantOnly ? [] : scoped
  if (
    !merchantOnly &&
    communityIds.length === 0 &&
    person.communityId &&
    roles.some((r) => r !== 'resident')
  ) {
    communityIds.push(String(person.communityId))
  }
  return {
    personId: String(person._id),
    roles,
    communityIds,
    gridIds: (person.staff?.gridIds ?? []).map(String),
    departmentId: person.staff?.departmentId ? String(person.staff.departmentId) : undefined,
    ...(roles.includes('merchant') && person.staff?.merchantName
      ? { merchant: { name: person.staff.merchantName, communityIds: scoped } }
      : {}),
    via,
  }
}

export interface AuthDeps {
  config: Config
  clock: Clock
  logger: Logger
  /** The HTTP client for WeChat's code2session; tests point config at a loopback stand-in. */
  fetch?: typeof fetch
}

/**
 * Sessions for the mini-program and keys for integrations: WeChat login through code2session,
 * short-lived signed access tokens, rotating revocable refresh tokens, one-time staff invite codes,
 * hashed admin API keys, and a development login that exists only when enabled outside production.
 */
export function createAuthService(deps: AuthDeps) {
  const { config, clock, logger } = deps
  const doFetch = deps.fetch ?? fetch
  const secret = config.secrets.tokenSecret ?? 'linli-development-token-secret'
  if (!config.secrets.tokenSecret && config.env !== 'test') {
    logger.warn('LINLI_TOKEN_SECRET is not set: using the development token secret (refused in production)')
  }
  const signingKey = Buffer.from(hkdfSync('sha256', secret, 'linli', 'access-token', 32))
  const liveSessions = topicCache<{ personId: unknown } | null>('auth')

  function sign(payload: z.infer<typeof AccessPayload>): string {
    const body = b64(JSON.stringify(payload))
    const sig = b64(createHmac('sha256', signingKey).update(body).digest())
    return `v1.${body}.${sig}`
  }

  /** The actor of a signed, unexpired access token whose session is still live; 401 otherwise. */
  async function verifyAccessToken(token: string): Promise<Actor> {
    const [version, body, sig] = token.split('.')
    if (version !== 'v1' || !body || !sig) throw unauthenticated()
    const expected = createHmac('sha256', signingKey).update(body).digest()
    const given = Buffer.from(sig, 'base64url')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw unauthenticated()
    let payload: z.infer<typeof AccessPayload>
    try {
      payload = AccessPayload.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')))
    } catch {
      throw unauthenticated()
    }
    if (payload.exp * 1000 <= clock.now().getTime()) throw unauthenticated('登录已过期，请重新登录')
    // The session by `_id`, kept in memory while no session ended anywhere (the `auth` version):
    // logout, a reused refresh token or erasure end it at once, in every process.
    const session = await liveSessions.get(
      payload.sid,
      () => AuthSessionModel.findById(payload.sid).lean().exec(),
      (s) => s !== null,
    )
    if (!session || String(session.personId) !== payload.sub) throw unauthenticated()
    // Roles and scope as the registry holds them now (not as when the token was signed): someone who
    // lost a role is refused on their next request. From memory while the registry is unchanged.
    const person = await cachedStaffView(payload.sub)
    if (!person || person.erasedAt) throw unauthenticated('账号不存在或已注销')
    return actorOf(person, 'token')
  }

  async function issueSession(
    personId: string,
    via: Actor['via'] = 'token',
    rotating?: string,
  ): Promise<Session> {
    const person = await ResidentModel.findById(personId).lean()
    if (!person || person.erasedAt) throw unauthenticated('账号不存在或已注销')
    const family = rotating ?? randomUUID()
    if (!rotating) await AuthSessionModel.create({ _id: family, personId: person._id, at: clock.now() })
    else if (!(await AuthSessionModel.findById(family).lean())) throw unauthenticated()
    const actor = actorOf(person, via)
    const exp = Math.floor(clock.now().getTime() / 1000) + ACCESS_TTL_S
    const accessToken = sign({
      sub: actor.personId,
      roles: actor.roles,
      c: actor.communityIds,
      g: actor.gridIds,
      d: actor.departmentId,
      ...(actor.merchant ? { m: { n: actor.merchant.name, c: actor.merchant.communityIds } } : {}),
      sid: family,
      exp,
    })
    const refreshToken = `rt_${b64(randomBytes(32))}`
    await RefreshTokenModel.create({
      hash: sha256(refreshToken),
      personId: person._id,
      family,
      expiresAt: new Date(clock.now().getTime() + REFRESH_TTL_MS),
    })
    return { accessToken, refreshToken, expiresIn: ACCESS_TTL_S, actor }
  }

  /** Exchanges a refresh token for a new pair; a token used twice revokes its whole family. */
  async function refresh(refreshToken: string): Promise<Session> {
    const doc = await RefreshTokenModel.findOne({ hash: sha256(refreshToken) }).lean()
    if (!doc || doc.revokedAt || doc.expiresAt <= clock.now()) throw unauthenticated()
    try {
      await RefreshUseModel.create({ _id: String(doc._id), at: clock.now() })
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err
      await endSession(doc.family, clock.now())
      logger.warn({ personId: String(doc.personId) }, 'refresh token reused: session family revoked')
      throw unauthenticated()
    }
    await RefreshTokenModel.updateOne({ _id: doc._id }, { $set: { usedAt: clock.now() } })
    return issueSession(String(doc.personId), 'token', doc.family)
  }

  async function logout(refreshToken: string): Promise<void> {
    const doc = await RefreshTokenModel.findOne({ hash: sha256(refreshToken) }).lean()
    if (doc) await endSession(doc.family, clock.now())
  }

  /** Revokes every session of a person (erasure, lost phone, staff leaving). */
  async function revokeAll(personId: string): Promise<void> {
    await endPersonSessions(personId, clock.now())
  }

  async function code2session(code: string): Promise<{ openid: string; unionid?: string }> {
    const { appId, appSecret, code2SessionUrl } = config.wechat
    if (!appId || !appSecret)
      throw new UnavailableError('微信登录尚未配置（WECHAT_APP_ID / WECHAT_APP_SECRET）')
    const url = new URL(code2SessionUrl)
    url.search = new URLSearchParams({
      appid: appId,
      secret: appSecret,
      js_code: code,
      grant_type: 'authorization_code',
    }).toString()
    let reply: z.infer<typeof Code2SessionReply>
    try {
      const res = await doFetch(url, { signal: AbortSignal.timeout(5000) })
      reply = Code2SessionReply.parse(await res.json())
    } catch (err) {
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'code2session failed')
      throw new UnavailableError('微信登录暂时不可用，请稍后再试')
    }
    if (reply.errcode || !reply.openid) {
      throw unauthenticated(
        reply.errcode === 40163 ? '登录码已使用，请重新登录' : '微信登录失败，请重新进入小程序',
      )
    }
    // session_key stays here: it is never stored in a response or a log.
    return { openid: reply.openid, unionid: reply.unionid }
  }

  /**
   * The mini-program login: `wx.login` code → openid. A known openid logs in as its person; an invite
   * code binds a staff account to this WeChat identity; otherwise a new resident account is created.
   */
  async function wxLogin(code: string, inviteCode?: string): Promise<Session> {
    const { openid } = await code2session(code)
    if (inviteCode) return acceptInvite(inviteCode, openid)
    let person = await ResidentModel.findOne({ 'wechat.openid': openid, erasedAt: null }).lean()
    if (!person) {
      const created = await ResidentModel.create({
        name: '微信用户',
        roles: ['resident'],
        wechat: { openid },
        token: b64(randomBytes(18)),
      })
      person = created.toObject()
    }
    return issueSession(String(person._id))
  }

  /**
   * A one-time code (shown once) that lets a staff member bind their WeChat identity. `by` is the
   * staff member asking (absent for the CLI): only a city-wide admin may invite anyone; others only
   * people of their own communities who hold no admin or street role, since redeeming an invite is
   * logging in as that person.
   */
  async function createInvite(personId: string, by?: Actor): Promise<{ code: string; expiresAt: Date }> {
    if (by) await assertMayInvite(by, personId)
    const createdById = by?.personId
    const code = randomBytes(6)
      .toString('base64url')
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, '7')
      .slice(0, 8)
    const expiresAt = new Date(clock.now().getTime() + INVITE_TTL_MS)
    await InviteModel.create({ hash: sha256(code), personId, createdById, expiresAt })
    return { code, expiresAt }
  }

  async function assertMayInvite(by: Actor, personId: string): Promise<void> {
    if (by.roles.includes('admin') && by.communityIds.length === 0) return
    const person = Types.ObjectId.isValid(personId) ? await ResidentModel.findById(personId).lean() : null
    if (!person || person.erasedAt) throw new DomainError('NOT_FOUND', '找不到该人员')
    const above = (person.roles ?? []).some((r) => r === 'admin' || r === 'street_staff')
    const target = actorOf(person, 'token')
    const communities = [
      ...target.communityIds,
      ...(target.merchant?.communityIds ?? []),
      ...(person.communityId ? [String(person.communityId)] : []),
    ]
    if (above || !communities.some((c) => by.communityIds.includes(c)))
      throw new ForbiddenError('只能为本社区的工作人员生成邀请码')
  }

  async function acceptInvite(code: string, openid: string): Promise<Session> {
    const invite = await InviteModel.findOne({ hash: sha256(code.trim().toUpperCase()) }).lean()
    if (!invite || invite.usedAt || invite.expiresAt <= clock.now())
      throw new ForbiddenError('邀请码无效或已过期')
    try {
      await InviteUseModel.create({ _id: String(invite._id), at: clock.now() })
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new ForbiddenError('邀请码已被使用')
      throw err
    }
    await InviteModel.updateOne({ _id: invite._id }, { $set: { usedAt: clock.now() } })
    await ResidentModel.updateOne({ _id: invite.personId }, { $set: { 'wechat.openid': openid } })
    return issueSession(String(invite.personId))
  }

  /** A new admin API key for integrations; the key itself is returned once and stored only hashed. */
  async function createApiKey(personId: string, name: string): Promise<{ key: string; id: string }> {
    const prefix = b64(randomBytes(4))
    const key = `lk_${prefix}_${b64(randomBytes(24))}`
    const doc = await ApiKeyModel.create({ name, prefix, hash: sha256(key), personId })
    return { key, id: String(doc._id) }
  }

  async function verifyApiKey(key: string): Promise<Actor> {
    const doc = await ApiKeyModel.findOne({ hash: sha256(key) }).lean()
    if (!doc || doc.revokedAt) throw unauthenticated('API 密钥无效或已吊销')
    const person = await ResidentModel.findById(doc.personId).lean()
    if (!person || person.erasedAt) throw unauthenticated('API 密钥无效或已吊销')
    // Recorded on a document of its own: never racing a revocation of the key's document.
    void ApiKeyUseModel.updateOne(
      { _id: String(doc._id) },
      { $set: { at: clock.now() } },
      { upsert: true },
    ).catch(() => undefined)
    return actorOf(person, 'api_key')
  }

  async function revokeApiKey(id: string): Promise<void> {
    await ApiKeyModel.updateOne({ _id: id }, { $set: { revokedAt: clock.now() } })
  }

  const devLoginEnabled = config.devLogin.enabled && config.env !== 'production'

  /** Development only: a session for a person by id or exact name, without WeChat. */
  async function devLogin(who: { personId?: string; name?: string }): Promise<Session> {
    if (!devLoginEnabled) throw new ForbiddenError('开发登录未启用')
    const person = who.personId
      ? await ResidentModel.findById(who.personId).lean()
      : await ResidentModel.findOne({ name: who.name ?? '', erasedAt: null }).lean()
    if (!person) throw unauthenticated('找不到该用户')
    return issueSession(String(person._id), 'dev')
  }

  return {
    verifyAccessToken,
    issueSession,
    refresh,
    logout,
    revokeAll,
    wxLogin,
    createInvite,
    acceptInvite,
    createApiKey,
    verifyApiKey,
    revokeApiKey,
    devLogin,
    devLoginEnabled,
  }
}

export type AuthService = ReturnType<typeof createAuthService>
