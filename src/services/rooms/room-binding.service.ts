import type { Types } from 'mongoose'
import type { Clock } from '../../lib/clock.js'
import { ForbiddenError, isDuplicateKeyError, NotFoundError } from '../../lib/errors.js'
import { dropKey, lookupKey, putKey, withLock } from '../../lib/storage/index.js'
import { OnceMarkerModel } from '../../models/chat-message.model.js'
import { CommunityModel, GridModel, ResidentModel, type Role } from '../../models/registry.model.js'
import { type RoomBindingDoc, RoomBindingModel } from '../../models/room-binding.model.js'
import { cachedRegistryView } from '../registry/registry.cache.js'

/** Roles allowed to bind a group chat. */
export const BINDING_ROLES: readonly Role[] = ['grid_worker', 'community_staff', 'admin']

export interface RoomBinding {
  roomId: string
  topic: string
  scope: 'grid' | 'community'
  gridId?: string
  gridCode?: string
  communityId: string
  communityCode: string
}

export interface BindTarget {
  scope: 'grid' | 'community'
  code: string
}

export interface RoomBindings {
  /**
   * Binds a room to a grid or community on a staff member's command. Throws ForbiddenError for
   * non-staff (or staff outside their scope) and NotFoundError for an unknown code.
   */
  bind(input: {
    roomId: string
    topic: string
    target: BindTarget
    byContactId: string
  }): Promise<RoomBinding>
  /** Binds without a staff check: the simulator and seeding. */
  bindAsSystem(input: { roomId: string; topic: string; target: BindTarget }): Promise<RoomBinding>
  /** Removes a room's binding (staff only); false when it was not bound. */
  unbind(input: { roomId: string; byContactId: string }): Promise<boolean>
  /**
   * The binding of a room; a room id seen for the first time whose topic matches exactly one binding
   * takes that binding over (the id changed after a re-login).
   */
  resolve(room: { id: string; topic?: string }): Promise<RoomBinding | undefined>
  /** Keeps a binding's topic in step when the group is renamed (the topic is the re-bind key). */
  renameTopic(roomId: string, topic: string): Promise<void>
  /** True the first time it is called for a room, false after: the "not bound yet" note goes out once. */
  claimUnboundNotice(roomId: string): Promise<boolean>
}

function toView(doc: RoomBindingDoc): RoomBinding {
  return {
    roomId: doc.roomId,
    topic: doc.topic,
    scope: doc.scope,
    gridId: doc.gridId?.toString(),
    gridCode: doc.gridCode ?? undefined,
    communityId: doc.communityId.toString(),
    communityCode: doc.communityCode,
  }
}

interface StaffView {
  id: Types.ObjectId
  roles: string[]
  gridIds: string[]
  communityIds: string[]
}

async function findStaff(contactId: string): Promise<StaffView | undefined> {
  const r = await ResidentModel.findOne({
    'wechat.contactId': contactId,
    erasedAt: { $exists: false },
  }).lean()
  if (!r?.roles.some((role) => BINDING_ROLES.includes(role))) return undefined
  const communityIds = r.staff?.communityIds.map(String) ?? []
  if (r.communityId) communityIds.push(r.communityId.toString())
  return { id: r._id, roles: r.roles, gridIds: r.staff?.gridIds.map(String) ?? [], communityIds }
}

async function resolveTarget(target: BindTarget) {
  const code = target.code.trim().toUpperCase()
  if (target.scope === 'grid') {
    const grid = await GridModel.findOne({ code }).lean()
    if (!grid) throw new NotFoundError(`网格 ${code} `)
    const community = await CommunityModel.findById(grid.communityId).lean()
    if (!community) throw new NotFoundError(`网格 ${code} 所属社区`)
    return {
      gridId: grid._id,
      gridCode: grid.code,
      communityId: community._id,
      communityCode: community.code,
    }
  }
  const community = await CommunityModel.findOne({ code }).lean()
  if (!community) throw new NotFoundError(`社区 ${code} `)
  return { gridId: undefined, gridCode: undefined, communityId: community._id, communityCode: community.code }
}

type Resolved = Awaited<ReturnType<typeof resolveTarget>>

function mayBind(staff: StaffView, target: Resolved): boolean {
  if (staff.roles.includes('admin')) return true
  if (staff.communityIds.includes(target.communityId.toString()) && staff.roles.includes('community_staff')) {
    return true
  }
  if (staff.roles.includes('grid_worker') && target.gridId) {
    return staff.gridIds.includes(target.gridId.toString())
  }
  return false
}

/** A room's binding: through the `room:` lookup key (read by `_id`, checked), else a search recorded as the key. */
async function readBinding(roomId: string): Promise<RoomBinding | undefined> {
  const ref = await lookupKey('room', roomId)
  const keyed = ref ? await RoomBindingModel.findById(ref).lean<RoomBindingDoc>() : null
  if (keyed?.roomId === roomId) return toView(keyed)
  const bound = await RoomBindingModel.findOne({ roomId }).lean<RoomBindingDoc>()
  if (!bound) return undefined
  await putKey('room', roomId, String(bound._id))
  return toView(bound)
}

/** Group-chat bindings to grids and communities, kept across restarts and room-id changes. */
export function createRoomBindings(deps: { clock: Clock }): RoomBindings {
  async function save(
    roomId: string,
    topic: string,
    t: Resolved,
    scope: BindTarget['scope'],
    by?: Types.ObjectId,
  ) {
    return withLock(`room-binding:${roomId}`, async () => {
      const doc = await RoomBindingModel.findOneAndUpdate(
        { roomId },
        { $set: { roomId, topic, scope, ...t, boundBy: by } },
        { upsert: true, returnDocument: 'after' },
      ).lean<RoomBindingDoc>()
      if (!doc) throw new Error('binding was not saved')
      await putKey('room', roomId, String(doc._id))
      return toView(doc)
    })
  }

  return {
    async bind(input) {
      const staff = await findStaff(input.byContactId)
      if (!staff) throw new ForbiddenError('只有网格员或社区工作人员可以绑定群聊')
      const target = await resolveTarget(input.target)
      if (!mayBind(staff, target)) throw new ForbiddenError('您不负责这个网格或社区，不能绑定到这里')
      return save(input.roomId, input.topic, target, input.target.scope, staff.id)
    },

    async bindAsSystem(input) {
      const target = await resolveTarget(input.target)
      return save(input.roomId, input.topic, target, input.target.scope)
    },

    async unbind(input) {
      const staff = await findStaff(input.byContactId)
      if (!staff) throw new ForbiddenError('只有网格员或社区工作人员可以解除绑定')
      const res = await RoomBindingModel.deleteOne({ roomId: input.roomId })
      await dropKey('room', input.roomId)
      return res.deletedCount === 1
    },

    async resolve(room) {
      // Kept in this process while the registry version holds (a binding's writes change it), so a
      // group's messages do not read their binding each time; a room not bound is read each time.
      const bound = await cachedRegistryView(
        `room:${room.id}`,
        () => readBinding(room.id),
        (b) => b !== undefined,
      )
      if (bound) return bound
      if (!room.topic) return undefined
      return withLock(`room-binding-topic:${room.topic}`, async () => {
        const byTopic = await RoomBindingModel.find({ topic: room.topic }).limit(2).lean<RoomBindingDoc[]>()
        const only = byTopic.length === 1 ? byTopic[0] : undefined
        if (!only) return undefined
        await RoomBindingModel.updateOne(
          { _id: only._id },
          { $set: { roomId: room.id }, $push: { previousRoomIds: only.roomId } },
        )
        await putKey('room', room.id, String(only._id))
        return toView({ ...only, roomId: room.id })
      })
    },

    async renameTopic(roomId, topic) {
      await RoomBindingModel.updateOne({ roomId }, { $set: { topic } })
    },

    async claimUnboundNotice(roomId) {
      try {
        await OnceMarkerModel.create({ _id: `unbound:${roomId}`, at: deps.clock.now() })
        return true
      } catch (err) {
        if (isDuplicateKeyError(err)) return false
        throw err
      }
    },
  }
}
