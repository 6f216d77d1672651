import { randomBytes } from 'node:crypto'
import { ResidentModel, type Role } from '../../models/registry.model.js'

export interface LinkedPerson {
  personId: string
  name: string
  roles: Role[]
  created: boolean
}

/** The person a Wechaty contact belongs to, if any (staff checks, simulator). */
export async function findPersonByContact(contactId: string): Promise<LinkedPerson | undefined> {
  const r = await ResidentModel.findOne({ 'wechat.contactId': contactId }).lean()
  if (!r) return undefined
  return { personId: r._id.toString(), name: r.name, roles: r.roles, created: false }
}

/**
 * The contact a person of that name already uses (staff first), when `isLive` says the contact
 * exists in this WeChat session: the simulator reuses it instead of making a second one, so seeded
 * staff keep their contact ids and a reloaded page finds its transcript again.
 */
export async function findLiveContactByName(
  name: string,
  isLive: (contactId: string) => boolean,
): Promise<(LinkedPerson & { contactId: string }) | undefined> {
  const namesakes = await ResidentModel.find({ name, erasedAt: { $exists: false } })
    .limit(20)
    .lean()
  const staff = namesakes.filter((r) => r.roles.some((role) => role !== 'resident'))
  const live = [...staff, ...namesakes].find((r) => r.wechat?.contactId && isLive(r.wechat.contactId))
  if (!live?.wechat?.contactId) return undefined
  return {
    personId: live._id.toString(),
    name,
    roles: live.roles,
    created: false,
    contactId: live.wechat.contactId,
  }
}

/**
 * Links a Wechaty contact to the registry: the existing person with that name (the first staff
 * member, else the first resident) gets `wechat.contactId`; with no such person a minimal resident
 * record is created. Used by the simulator, where contacts are made up on the spot.
 */
export async function linkContactByName(name: string, contactId: string): Promise<LinkedPerson> {
  const namesakes = await ResidentModel.find({ name, erasedAt: { $exists: false } })
    .limit(20)
    .lean()
  const staff = namesakes.find((r) => r.roles.some((role) => role !== 'resident'))
  const existing = staff ?? namesakes[0]
  if (existing) {
    await ResidentModel.updateOne({ _id: existing._id }, { $set: { 'wechat.contactId': contactId } })
    return { personId: existing._id.toString(), name, roles: existing.roles, created: false }
  }
  const doc = await ResidentModel.create({
    name,
    roles: ['resident'],
    token: randomBytes(12).toString('base64url'),
    wechat: { contactId, nickname: name },
  })
  return { personId: doc._id.toString(), name, roles: doc.roles, created: true }
}
