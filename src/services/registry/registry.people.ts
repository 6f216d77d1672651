import { Types } from 'mongoose'
import type { FieldCrypto } from '../../lib/crypto.js'
import { normalizeIdNumber, normalizePhone } from '../../lib/crypto.js'
import { ConflictError, DomainError, InvalidInputError, NotFoundError } from '../../lib/errors.js'
import { claimKey, dropKey, lookupKey, moveKey, putKey, withLock } from '../../lib/storage/index.js'
import {
  GridModel,
  HouseholdModel,
  type Resident,
  ResidentModel,
  type Role,
} from '../../models/registry.model.js'
import { cachedRegistryView, forgetView, messageResident, rememberView } from './registry.cache.js'
import { checkIdNumber, isMobilePhone, WECOM_USERID, WECOM_USERID_MESSAGE } from './registry.validation.js'
import {
  type HouseholdView,
  newToken,
  objectId,
  type ResidentView,
  toHouseholdView,
  toResidentView,
} from './registry.views.js'

export interface ResidentInput {
  name: string
  householdId?: string
  communityId?: string
  gridId?: string
  roles?: Role[]
  tags?: string[]
  phone?: string
  idNumber?: string
  wechat?: { contactId?: string; openid?: string; nickname?: string }
  /** The staff member's WeCom (企业微信) userid: their messages to the app act as them. */
  wecomUserId?: string
  /** The resident's external_userid at the 微信客服 account: replies reach them over wecom_kf. */
  wecomExternalUserId?: string
  /** Version of the privacy notice the resident agreed to. */
  consentVersion?: string
}

export type ResidentPatch = Partial<ResidentInput>

/** Where a contact was met: the community and grid of the bound group they wrote in. */
export interface ContactHome {
  communityId?: string
  gridId?: string
}

export interface StaffGrant {
  role: Exclude<Role, 'resident' | 'party_member'>
  gridIds?: string[]
  communityIds?: string[]
  departmentId?: string
}

export interface PeopleDeps {
  crypto: FieldCrypto
  now: () => Date
}

type ResidentFields = Record<string, unknown>

/** Encrypts and hashes the personal numbers of an input, after checking them. */
export function sealPersonalNumbers(
  crypto: FieldCrypto,
  input: { phone?: string; idNumber?: string },
  now: Date,
): ResidentFields {
  const out: ResidentFields = {}
  if (input.phone !== undefined && input.phone !== '') {
    if (!isMobilePhone(input.phone)) throw new InvalidInputError('手机号格式不正确，应为11位手机号')
    const phone = normalizePhone(input.phone)
    out.phoneEnc = crypto.encrypt(phone)
    out.phoneHash = crypto.lookupHash('phone', phone)
  }
  if (input.idNumber !== undefined && input.idNumber !== '') {
    const problem = checkIdNumber(input.idNumber, now)
    if (problem) throw new InvalidInputError(problem)
    const id = normalizeIdNumber(input.idNumber)
    out.idNumberEnc = crypto.encrypt(id)
    out.idNumberHash = crypto.lookupHash('idNumber', id)
  }
  return out
}

/** Residents and staff: creation, lookups, WeChat identities, household binding, staff roles. */
export function createPeopleService(deps: PeopleDeps) {
  const { crypto } = deps
  const view = (r: Omit<Resident, 'createdAt' | 'updatedAt'>) => toResidentView(r, crypto)

  async function placeOf(input: ResidentPatch): Promise<ResidentFields> {
    if (!input.householdId) {
      const out: ResidentFields = {}
      if (input.communityId) out.communityId = objectId(input.communityId, '社区')
      if (input.gridId) out.gridId = objectId(input.gridId, '网格')
      return out
    }
    const h = await HouseholdModel.findById(objectId(input.householdId, '住户')).lean()
    if (!h) throw new NotFoundError('住户')
    return { householdId: h._id, communityId: h.communityId, gridId: h.gridId }
  }

  async function refuseDuplicateId(fields: ResidentFields, self?: Types.ObjectId): Promise<void> {
    if (!fields.idNumberHash) return
    const other = await ResidentModel.findOne({
      idNumberHash: fields.idNumberHash,
      _id: { $ne: self },
    }).lean()
    if (other) throw new ConflictError('该身份证号已经登记过', { residentId: String(other._id) })
  }

  /**
   * One person per WeCom userid: a second would act as whoever the lookup found first. Decided by
   * claiming the `wecom-user:<userid>` key (a unique insert, so two staff saving the same id at once
   * cannot both win); a key whose holder no longer carries the id (changed, erased) is taken over.
   * The search covers ids recorded before the keys existed.
   */
  async function refuseDuplicateWeCom(fields: ResidentFields, self: Types.ObjectId): Promise<void> {
    const userId = fields.wecomUserId as string | undefined
    if (!userId) return
    const taken = (residentId: string) =>
      new ConflictError('该企业微信账号已经关联了其他人员', { residentId })
    const other = await ResidentModel.findOne({
      wecomUserId: userId,
      _id: { $ne: self },
      erasedAt: null,
    }).lean()
    if (other) throw taken(String(other._id))
    const me = String(self)
    const claim = await claimKey('wecom-user', userId, me, deps.now())
    if (claim.claimed || claim.ref === me) return
    const holder = Types.ObjectId.isValid(claim.ref)
      ? await ResidentModel.findById(claim.ref).select('wecomUserId erasedAt').lean()
      : null
    if (holder && holder.erasedAt == null && holder.wecomUserId === userId) throw taken(claim.ref)
    if (!(await moveKey('wecom-user', userId, claim.ref, me, deps.now()))) throw taken(claim.ref)
  }

  /** Checks a WeCom userid; '' clears it. */
  function weComUserIdOf(raw: string): string {
    const userId = raw.trim()
    if (userId !== '' && !WECOM_USERID.test(userId)) throw new InvalidInputError(WECOM_USERID_MESSAGE)
    return userId
  }

  function fieldsOf(input: ResidentPatch): ResidentFields {
    const out: ResidentFields = sealPersonalNumbers(crypto, input, deps.now())
    if (input.name !== undefined) out.name = input.name.trim()
    if (input.roles) out.roles = [...new Set(input.roles)]
    if (input.tags) out.tags = [...new Set(input.tags)]
    if (input.wechat?.contactId) out['wechat.contactId'] = input.wechat.contactId
    if (input.wechat?.openid) out['wechat.openid'] = input.wechat.openid
    if (input.wechat?.nickname) out['wechat.nickname'] = input.wechat.nickname
    if (input.wecomUserId) out.wecomUserId = weComUserIdOf(input.wecomUserId)
    if (input.wecomExternalUserId) out.wecomExternalUserId = input.wecomExternalUserId.trim()
    if (input.consentVersion) out.consent = { at: deps.now(), version: input.consentVersion }
    return out
  }

  async function dropOwnWeComKey(userId: string, personId: string): Promise<void> {
    if ((await lookupKey('wecom-user', userId)) === personId) await dropKey('wecom-user', userId)
  }

  async function loadResident(id: string) {
    const doc = await ResidentModel.findById(objectId(id, '居民')).lean()
    if (!doc) throw new NotFoundError('居民')
    return doc
  }

  async function findOneView(filter: Record<string, unknown>): Promise<ResidentView | undefined> {
    const doc = await ResidentModel.findOne({ ...filter, erasedAt: null }).lean()
    return doc ? view(doc) : undefined
  }

  /** Changes the given fields of a resident (the rest stays). */
  async function updateResident(id: string, patch: ResidentPatch): Promise<ResidentView> {
    const _id = objectId(id, '居民')
    const fields = { ...fieldsOf(patch), ...(await placeOf(patch)) }
    const clearWeCom = patch.wecomUserId !== undefined && weComUserIdOf(patch.wecomUserId) === ''
    await refuseDuplicateId(fields, _id)
    const before = await ResidentModel.findById(_id).select('wecomUserId').lean()
    if (!before) throw new NotFoundError('居民')
    if (fields.wecomUserId !== before.wecomUserId) await refuseDuplicateWeCom(fields, _id)
    const doc = await ResidentModel.findOneAndUpdate(
      { _id },
      { $set: fields, ...(clearWeCom ? { $unset: { wecomUserId: 1 } } : {}) },
      { returnDocument: 'after' },
    ).lean()
    if (!doc) throw new NotFoundError('居民')
    if (patch.wechat?.contactId) await putKey('contact', patch.wechat.contactId, String(doc._id))
    // The id it no longer carries is free for someone else.
    if (before.wecomUserId && before.wecomUserId !== doc.wecomUserId)
      await dropOwnWeComKey(before.wecomUserId, id)
    return view(doc)
  }

  /** Gives a person a staff role and its scope (grids, communities, department). */
  async function grantStaffRole(residentId: string, grant: StaffGrant): Promise<ResidentView> {
    return withLock(`resident:${residentId}`, async () => {
      const _id = (await loadResident(residentId))._id
      const add: Record<string, unknown> = { roles: grant.role }
      if (grant.gridIds?.length)
        add['staff.gridIds'] = { $each: grant.gridIds.map((g) => objectId(g, '网格')) }
      if (grant.communityIds?.length) {
        add['staff.communityIds'] = { $each: grant.communityIds.map((c) => objectId(c, '社区')) }
      }
      const set = grant.departmentId ? { 'staff.departmentId': objectId(grant.departmentId, '部门') } : {}
      const doc = await ResidentModel.findOneAndUpdate(
        { _id },
        { $addToSet: add, $set: set },
        { returnDocument: 'after' },
      ).lean()
      return view(doc ?? (await loadResident(residentId)))
    })
  }

  /** Registers a person; phone/ID are checked, encrypted and hashed, never stored in the clear. */
  async function createResident(input: ResidentInput): Promise<ResidentView> {
    if (!input.name?.trim()) throw new InvalidInputError('姓名不能为空')
    const fields = { ...fieldsOf(input), ...(await placeOf(input)) }
    await refuseDuplicateId(fields)
    const _id = new Types.ObjectId()
    await refuseDuplicateWeCom(fields, _id)
    const wechat = input.wechat ?? {}
    const doc = await ResidentModel.create({ _id, ...fields, wechat, token: newToken() })
    if (wechat.contactId) await putKey('contact', wechat.contactId, String(doc._id))
    return view(doc.toObject())
  }

  /**
   * The person behind a WeChat contact: read through the `contact:` lookup key (one indexed read,
   * verified against the record), else found by a search whose answer is then recorded as the key.
   * `keyOnly` skips the search (a caller that searched a moment ago, now under the contact's lock).
   */
  async function findResidentByWechatContact(
    contactId: string,
    options: { keyOnly?: boolean } = {},
  ): Promise<ResidentView | undefined> {
    // Both reads come from the registry cache while the registry is unchanged (see registry.cache.ts);
    // the key is checked against the person's record either way.
    const ref = await cachedRegistryView(
      `contact:${contactId}`,
      () => lookupKey('contact', contactId),
      (found) => found !== undefined && found !== null,
    )
    if (ref && Types.ObjectId.isValid(ref)) {
      const doc = await messageResident(ref)
      if (doc && doc.erasedAt == null && doc.wechat?.contactId === contactId) return view(doc)
    }
    if (options.keyOnly) return undefined
    const found = await findOneView({ 'wechat.contactId': contactId })
    if (found) await putKey('contact', contactId, found.id)
    else if (ref) await dropKey('contact', contactId)
    // The key was missing or wrong (the contact moved to another record, a quiet write): the one
    // written now is this process's view.
    if (found) await rememberView(`contact:${contactId}`, found.id)
    else forgetView(`contact:${contactId}`)
    return found
  }

  /**
   * Someone met in a bound group belongs to that group's community and grid until the registry
   * matches them to a household: a resident record with neither household nor community takes the
   * home given (a record of the same community without a grid takes the grid). Staff keep their own.
   */
  async function settleHome(p: ResidentView, home: ContactHome): Promise<ResidentView> {
    if (!home.communityId || p.householdId) return p
    if (p.roles.some((r) => r !== 'resident' && r !== 'party_member')) return p
    if (p.communityId && (p.communityId !== home.communityId || p.gridId || !home.gridId)) return p
    return updateResident(p.id, { communityId: home.communityId, gridId: home.gridId })
  }

  /**
   * The person behind a WeChat contact; an unknown contact becomes a minimal resident record linked
   * to it (one per contact: the lock makes two first messages at once create one record). `home` is
   * where the contact was met: the community and grid of the bound group (see `settleHome`).
   */
  async function personOfContact(
    contact: { contactId: string; name: string },
    home: ContactHome = {},
  ): Promise<ResidentView> {
    const known = await findResidentByWechatContact(contact.contactId)
    if (known) return settleHome(known, home)
    return withLock(`contact-person:${contact.contactId}`, async () => {
      // Whoever created the record meanwhile held this lock and recorded the contact's key.
      const again = await findResidentByWechatContact(contact.contactId, { keyOnly: true })
      if (again) return settleHome(again, home)
      const created = await createResident({
        name: contact.name.trim().slice(0, 30) || '微信用户',
        roles: ['resident'],
        ...(home.communityId ? { communityId: home.communityId, gridId: home.gridId } : {}),
        wechat: { contactId: contact.contactId, nickname: contact.name.slice(0, 30) },
      })
      // The key just written is this process's view of it: the contact's next message reads no key.
      await rememberView(`contact:${contact.contactId}`, created.id)
      return created
    })
  }

  /** The live person whose WeCom userid this is (staff on the self-built app). */
  async function findResidentByWeComUser(userId: string): Promise<ResidentView | undefined> {
    if (!userId) return undefined
    return findOneView({ wecomUserId: userId })
  }

  return {
    createResident,
    findResidentByWeComUser,
    personOfContact,

    updateResident,

    /**
     * A login for a local merchant's staff (商户核销员): role `merchant`, bound to the merchant's name
     * in one community; it verifies pickup codes of that merchant's shop items and nothing else.
     */
    async createMerchantStaff(input: {
      communityId: string
      merchantName: string
      name: string
    }): Promise<ResidentView> {
      const created = await createResident({ name: input.name, roles: ['merchant'] })
      await ResidentModel.updateOne(
        { _id: new Types.ObjectId(created.id) },
        {
          $set: {
            'staff.communityIds': [new Types.ObjectId(input.communityId)],
            'staff.merchantName': input.merchantName,
          },
        },
      )
      return created
    },

    async getResident(id: string): Promise<ResidentView> {
      return view(await loadResident(id))
    },

    async findResidentByToken(token: string): Promise<ResidentView | undefined> {
      return findOneView({ token })
    },

    findResidentByWechatContact,

    /** Several people by WeChat contact id in one query (bot start-up, seeding). */
    async findResidentsByWechatContacts(contactIds: string[]): Promise<Map<string, ResidentView>> {
      const docs = await ResidentModel.find({
        'wechat.contactId': { $in: contactIds },
        erasedAt: null,
      }).lean()
      return new Map(docs.map((d) => [d.wechat?.contactId as string, view(d)]))
    },

    async findResidentByOpenid(openid: string): Promise<ResidentView | undefined> {
      return findOneView({ 'wechat.openid': openid })
    },

    /** Everyone registered with this phone number (family members may share one). */
    async findResidentsByPhone(phone: string): Promise<ResidentView[]> {
      const docs = await ResidentModel.find({
        phoneHash: crypto.lookupHash('phone', phone),
        erasedAt: null,
      }).lean()
      return docs.map(view)
    },

    async findResidentByIdNumber(idNumber: string): Promise<ResidentView | undefined> {
      return findOneView({ idNumberHash: crypto.lookupHash('idNumber', idNumber) })
    },

    /** Records the WeChat identities a person reached Linli with. */
    async bindWechat(
      residentId: string,
      wechat: NonNullable<ResidentInput['wechat']>,
    ): Promise<ResidentView> {
      return updateResident(residentId, { wechat })
    },

    /** Residents of a household (not erased). */
    async listHouseholdResidents(householdId: string): Promise<ResidentView[]> {
      const docs = await ResidentModel.find({
        householdId: objectId(householdId, '住户'),
        erasedAt: null,
      }).lean()
      return docs.map(view)
    },

    /**
     * Binds a resident to the household whose code they scanned (一户一码). A revoked or unknown
     * code is refused with a sentence the mini-program can show as is.
     */
    async bindHouseholdByToken(
      residentId: string,
      token: string,
    ): Promise<{ resident: ResidentView; household: HouseholdView }> {
      const household = await HouseholdModel.findOne({ token }).lean()
      if (!household)
        throw new DomainError('NOT_FOUND', '这个门牌码无效，请扫描家门口张贴的二维码或联系网格员')
      if (household.tokenRevokedAt) {
        throw new DomainError('CONFLICT', '这个门牌码已经作废，请联系网格员领取新的门牌码')
      }
      const existing = await loadResident(residentId)
      if (existing.erasedAt) throw new DomainError('CONFLICT', '该账号已注销，无法绑定住户')
      const place = {
        householdId: household._id,
        communityId: household.communityId,
        gridId: household.gridId,
      }
      const doc = await ResidentModel.findOneAndUpdate(
        { _id: existing._id },
        { $set: place },
        { returnDocument: 'after' },
      ).lean()
      if (!doc) throw new NotFoundError('居民')
      return { resident: view(doc), household: toHouseholdView(household) }
    },

    grantStaffRole,

    /** Makes a person the primary or a part-time grid worker of a grid. */
    async assignGridWorker(gridId: string, residentId: string, options: { primary: boolean }): Promise<void> {
      const grid = await GridModel.findById(objectId(gridId, '网格')).lean()
      if (!grid) throw new NotFoundError('网格')
      await grantStaffRole(residentId, { role: 'grid_worker', gridIds: [gridId] })
      await withLock(`grid:${gridId}`, async () => {
        const worker = objectId(residentId, '居民')
        const update = options.primary
          ? { $set: { primaryWorkerId: worker }, $pull: { partTimeWorkerIds: worker } }
          : { $addToSet: { partTimeWorkerIds: worker } }
        await GridModel.updateOne({ _id: grid._id }, update)
      })
    },

    /** A grid's workers, the primary one first. */
    async listGridWorkers(gridId: string): Promise<ResidentView[]> {
      const grid = await GridModel.findById(objectId(gridId, '网格')).lean()
      if (!grid) throw new NotFoundError('网格')
      const ids = [grid.primaryWorkerId, ...(grid.partTimeWorkerIds ?? [])].filter((x) => x)
      const docs = await ResidentModel.find({ _id: { $in: ids }, erasedAt: null }).lean()
      const rank = (id: string) => ids.findIndex((x) => String(x) === id)
      return docs.map(view).sort((a, b) => rank(a.id) - rank(b.id))
    },
  }
}

export type PeopleService = ReturnType<typeof createPeopleService>
