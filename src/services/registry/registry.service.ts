import type { Clock } from '../../lib/clock.js'
import type { FieldCrypto } from '../../lib/crypto.js'
import { DomainError, NotFoundError } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import { AuditModel } from '../../models/audit.model.js'
import { GridModel, HouseholdModel, ResidentModel } from '../../models/registry.model.js'
import { createBrowseService } from './registry.browse.js'
import type { CodeKind } from './registry.codes.js'
import { createPartyService } from './registry.party.js'
import { createPeopleService } from './registry.people.js'
import { createPrivacyService } from './registry.privacy.js'
import { createStructureService } from './registry.structure.js'
import { newToken, objectId, type ResidentView } from './registry.views.js'

export interface RegistryDeps {
  clock: Clock
  crypto: FieldCrypto
  logger: Logger
}

/**
 * The community registry: communities, grids, households, residents, staff and departments, their
 * codes (一格一码/一户一码/一人一码), party-member links and audited access to personal data.
 * Returns plain view objects; phone and ID numbers appear masked except through `revealPersonalData`.
 */
export function createRegistryService(deps: RegistryDeps) {
  const now = () => deps.clock.now()
  const structure = createStructureService()
  const people = createPeopleService({ crypto: deps.crypto, now })
  const party = createPartyService({ crypto: deps.crypto })
  const privacy = createPrivacyService({ crypto: deps.crypto, now, logger: deps.logger })

  return {
    ...structure,
    ...people,
    ...party,
    ...privacy,
    ...createBrowseService(),
    crypto: deps.crypto,
    clock: deps.clock,

    /**
     * Sets (or with '' clears) a person's WeCom userid, the way staff are reached on the WeCom app
     * and recognised when they write to it; one person per id (409 on a clash). Audited: who, when,
     * the old and the new id. The caller has checked the actor may manage this person.
     */
    async changeWeComUserId(req: {
      actorId: string
      residentId: string
      wecomUserId: string
    }): Promise<ResidentView> {
      const before = await people.getResident(req.residentId)
      const after = await people.updateResident(req.residentId, { wecomUserId: req.wecomUserId })
      if ((before.wecomUserId ?? '') !== (after.wecomUserId ?? '')) {
        await AuditModel.create({
          action: 'change_wecom_user_id',
          actorId: req.actorId,
          residentId: objectId(req.residentId, '居民'),
          subject: `wecomUserId:${before.wecomUserId ?? ''}→${after.wecomUserId ?? ''}`,
          reason: after.wecomUserId ? '设置企业微信账号' : '清除企业微信账号',
          fields: ['wecomUserId'],
          at: now(),
        })
        deps.logger.info({ actorId: req.actorId, residentId: req.residentId }, 'WeCom userid changed')
      }
      return after
    },

    /** Refuses a grid or household code from now on (a lost or misused sticker). */
    async revokeToken(kind: Exclude<CodeKind, 'resident'>, id: string): Promise<void> {
      const _id = objectId(id, '二维码')
      const set = { $set: { tokenRevokedAt: now() } }
      const res =
        kind === 'grid'
          ? await GridModel.updateOne({ _id }, set)
          : await HouseholdModel.updateOne({ _id }, set)
      if (res.matchedCount === 0) throw new NotFoundError(kind === 'grid' ? '网格' : '住户')
    },

    /** Issues a fresh code (the old one stops working at once); returns the new token. */
    async rotateToken(kind: CodeKind, id: string): Promise<string> {
      const token = newToken()
      const update = { $set: { token }, ...(kind === 'resident' ? {} : { $unset: { tokenRevokedAt: 1 } }) }
      const _id = objectId(id, '二维码')
      const res =
        kind === 'grid'
          ? await GridModel.updateOne({ _id }, update)
          : kind === 'household'
            ? await HouseholdModel.updateOne({ _id }, update)
            : await ResidentModel.updateOne({ _id }, update)
      if (res.matchedCount === 0) throw new DomainError('NOT_FOUND', '找不到这个二维码对应的记录')
      return token
    },
  }
}

export type RegistryService = ReturnType<typeof createRegistryService>
