import type { FieldCrypto } from '../../lib/crypto.js'
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import { withLock } from '../../lib/storage/index.js'
import { type AuditAction, AuditModel } from '../../models/audit.model.js'
import { HouseholdModel, ResidentModel, type Role } from '../../models/registry.model.js'
import { endPersonSessions } from '../auth/auth.sessions.js'
import { objectId, toHouseholdView } from './registry.views.js'

/** Who asks for personal data (the HTTP actor, a CLI operator). */
export interface StaffScope {
  personId: string
  roles: Role[]
  /** Empty for an admin: every community. */
  communityIds: string[]
  gridIds: string[]
}

export interface PersonalDataRequest {
  actor: StaffScope
  residentId: string
  /** Why the numbers are needed (written to the audit log). */
  reason: string
}

export interface AuditView {
  action: AuditAction
  actorId: string
  residentId: string
  reason: string
  fields: string[]
  at: Date
}

/** Held while an erasure decides whether it takes away an admin: two erasures never both pass. */
const ADMINS_LOCK = 'registry:admins'

export const ERASE_REASON_MESSAGE = '请写明删除原因（至少两个字，例如「本人申请注销」）'

/**
 * A reason an erasure can stand on: at least two different letters (汉字 count), or four letters
 * when none is 汉字 — so 「00」, 「啊啊」 or 「ab」 are refused, 「搬走」 and 「moved away」 pass.
 */
export function isRealEraseReason(reason: string): boolean {
  const letters = reason.match(/\p{L}/gu) ?? []
  if (new Set(letters).size < 2) return false
  return letters.some((c) => /\p{Script=Han}/u.test(c)) || letters.length >= 4
}

/** The name an erased resident keeps, so their cases still read sensibly. */
export const ERASED_NAME = '已注销居民'

type ResidentDoc = NonNullable<Awaited<ReturnType<typeof loadResident>>>

async function loadResident(id: string) {
  return ResidentModel.findById(objectId(id, '居民')).lean()
}

/** Staff may see a resident's data when the resident is in their grid or community; everyone their own. */
export function canAccessResident(
  actor: StaffScope,
  resident: { id: string; communityId?: string; gridId?: string },
): boolean {
  if (actor.personId === resident.id) return true
  const roles = new Set(actor.roles)
  if (roles.has('admin') && actor.communityIds.length === 0) return true
  const inCommunity = resident.communityId !== undefined && actor.communityIds.includes(resident.communityId)
  if (inCommunity && (roles.has('admin') || roles.has('community_staff') || roles.has('street_staff')))
    return true
  return roles.has('grid_worker') && resident.gridId !== undefined && actor.gridIds.includes(resident.gridId)
}

/** Unmasked reads, export and erasure of a resident's personal data; each one is audited. */
export function createPrivacyService(deps: { crypto: FieldCrypto; now: () => Date; logger: Logger }) {
  const { crypto } = deps

  async function authorise(req: PersonalDataRequest): Promise<ResidentDoc> {
    if (req.reason.trim().length < 2) throw new InvalidInputError('查看或导出个人信息必须填写理由')
    const doc = await loadResident(req.residentId)
    if (!doc) throw new NotFoundError('居民')
    const target = { id: String(doc._id), communityId: doc.communityId ? String(doc.communityId) : undefined }
    const scoped = { ...target, gridId: doc.gridId ? String(doc.gridId) : undefined }
    if (!canAccessResident(req.actor, scoped)) throw new ForbiddenError('你无权查看这位居民的个人信息')
    return doc
  }

  async function audit(action: AuditAction, req: PersonalDataRequest, fields: string[]): Promise<void> {
    await AuditModel.create({
      action,
      actorId: req.actor.personId,
      residentId: objectId(req.residentId, '居民'),
      reason: req.reason.trim(),
      fields,
      at: deps.now(),
    })
    deps.logger.info(
      { action, actorId: req.actor.personId, residentId: req.residentId },
      'personal data access',
    )
  }

  function open(doc: ResidentDoc): { phone?: string; idNumber?: string } {
    return {
      ...(doc.phoneEnc ? { phone: crypto.decrypt(doc.phoneEnc) } : {}),
      ...(doc.idNumberEnc ? { idNumber: crypto.decrypt(doc.idNumberEnc) } : {}),
    }
  }

  return {
    /** The resident's phone and ID number in full; writes the audit record first. */
    async revealPersonalData(req: PersonalDataRequest): Promise<{ phone?: string; idNumber?: string }> {
      const doc = await authorise(req)
      const plain = open(doc)
      await audit('reveal_personal_data', req, Object.keys(plain))
      return plain
    },

    /** Everything Linli holds about a resident, as JSON (PIPL access request). */
    async exportResidentData(req: PersonalDataRequest): Promise<Record<string, unknown>> {
      const doc = await authorise(req)
      const household = doc.householdId ? await HouseholdModel.findById(doc.householdId).lean() : null
      await audit('export_personal_data', req, ['phone', 'idNumber', 'profile'])
      const accesses = await AuditModel.find({ residentId: doc._id }).sort({ at: 1 }).lean()
      return {
        exportedAt: deps.now().toISOString(),
        resident: {
          id: String(doc._id),
          name: doc.name,
          ...open(doc),
          roles: doc.roles,
          tags: doc.tags,
          wechat: doc.wechat ?? {},
          consent: doc.consent ?? null,
          createdAt: (doc as { createdAt?: Date }).createdAt ?? null,
        },
        household: household ? toHouseholdView(household) : null,
        accessLog: accesses.map((a) => ({
          action: a.action,
          actorId: a.actorId,
          reason: a.reason,
          at: a.at,
        })),
      }
    },

    /**
     * Removes a resident's identity (PIPL erasure) while their cases stay: the name becomes
     * 已注销居民; numbers, hashes, WeChat ids and tags are cleared.
     */
    async eraseResident(req: PersonalDataRequest): Promise<void> {
      if (!isRealEraseReason(req.reason)) throw new InvalidInputError(ERASE_REASON_MESSAGE)
      if (req.actor.personId === req.residentId) throw new ConflictError('不能删除自己的账号')
      await authorise(req)
      const id = objectId(req.residentId, '居民')
      // Every erasure holds the admins lock: whether others remain is read and acted on by one holder
      // at a time (two admins erasing each other at once: the second is refused).
      await withLock(ADMINS_LOCK, async () => {
        const target = await ResidentModel.findById(id).select('roles erasedAt').lean()
        if (target?.roles.includes('admin') && !target.erasedAt) {
          const others = await ResidentModel.countDocuments({
            roles: 'admin',
            erasedAt: null,
            _id: { $ne: id },
          })
          if (others === 0) throw new ConflictError('这是最后一位管理员，不能删除')
        }
        await withLock(`resident:${req.residentId}`, async () => {
          await ResidentModel.updateOne(
            { _id: id },
            {
              $set: { name: ERASED_NAME, tags: [], erasedAt: deps.now() },
              $unset: {
                phoneEnc: 1,
                phoneHash: 1,
                idNumberEnc: 1,
                idNumberHash: 1,
                wechat: 1,
                consent: 1,
                wecomUserId: 1,
                wecomExternalUserId: 1,
              },
            },
          )
        })
      })
      // Their logins end with their identity: access tokens stop at the next request.
      await endPersonSessions(req.residentId, deps.now())
      await audit('erase_resident', req, ['phone', 'idNumber', 'name', 'wechat', 'tags'])
      await HouseholdModel.updateMany(
        { partyMemberId: objectId(req.residentId, '居民') },
        {
          $unset: { partyMemberId: 1 },
        },
      )
    },

    /** Who looked at a resident's personal data, oldest first. */
    async listAuditRecords(residentId: string): Promise<AuditView[]> {
      const docs = await AuditModel.find({ residentId: objectId(residentId, '居民') })
        .sort({ at: 1 })
        .lean()
      return docs.map((a) => ({
        action: a.action as AuditAction,
        actorId: a.actorId,
        residentId: String(a.residentId),
        reason: a.reason,
        fields: [...(a.fields ?? [])],
        at: a.at,
      }))
    },

    /**
     * After a key rotation: re-encrypts every number written with an older key and recomputes its
     * lookup hashes (`rehashAll` rewrites every resident: after changing LINLI_TOKEN_SECRET).
     * Returns how many residents were rewritten.
     */
    async reencryptAll(options: { rehashAll?: boolean } = {}): Promise<number> {
      let changed = 0
      const cursor = ResidentModel.find({
        $or: [{ phoneEnc: { $exists: true } }, { idNumberEnc: { $exists: true } }],
      })
        .lean()
        .cursor()
      for await (const doc of cursor) {
        const stale = [doc.phoneEnc, doc.idNumberEnc].some((s) => s && crypto.needsReencrypt(s))
        if (!stale && !options.rehashAll) continue
        const plain = open(doc)
        const set: Record<string, string> = {}
        if (plain.phone)
          Object.assign(set, {
            phoneEnc: crypto.encrypt(plain.phone),
            phoneHash: crypto.lookupHash('phone', plain.phone),
          })
        if (plain.idNumber) {
          Object.assign(set, {
            idNumberEnc: crypto.encrypt(plain.idNumber),
            idNumberHash: crypto.lookupHash('idNumber', plain.idNumber),
          })
        }
        await ResidentModel.updateOne({ _id: doc._id }, { $set: set })
        changed++
      }
      return changed
    },
  }
}

export type PrivacyService = ReturnType<typeof createPrivacyService>
