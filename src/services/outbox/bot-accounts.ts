import { isDuplicateKeyError } from '../../lib/errors.js'
import { BotReachModel } from '../../models/bot-account.model.js'
import { ResidentModel } from '../../models/registry.model.js'

/** The main bot account's id (the outbox's default `account`). */
export const MAIN_ACCOUNT = 'default'

type Target = { type: string; id: string }

/**
 * The bot-account pool's memory of who reaches whom, recorded when it happens: the first account
 * that hears from a group or a person keeps sending to it. One unique-key insert per group or person
 * and account (repeats are answered from memory). A group's or contact's owner, once known, is kept in
 * the process (the first account keeps it for good: the record is never changed), so a broadcast to
 * groups read before costs no read per group; an unknown one costs one `_id` read per queued message.
 */
export interface BotReach {
  /** Records that `account` heard from this group or contact (kept by the first account). */
  note(account: string, target: { type: 'room' | 'contact'; id: string }): Promise<void>
  /** The account that sends to `to`: the one that reaches it, else the main account. */
  accountFor(to: Target): Promise<string>
}

export function createBotReach(accounts: readonly string[]): BotReach {
  const known = new Set(accounts)
  const noted = new Set<string>()
  /** Owners read or written by this process: a record is never changed once inserted. */
  const owners = new Map<string, string>()
  async function ownerOf(key: string): Promise<string | undefined> {
    const kept = owners.get(key)
    if (kept) return kept
    const doc = await BotReachModel.findById(key).lean()
    if (!doc || !known.has(doc.account)) return undefined
    owners.set(key, doc.account)
    return doc.account
  }
  return {
    async note(account, target) {
      const key = `${target.type}:${target.id}`
      if (accounts.length < 2 || noted.has(`${account}|${key}`)) return
      try {
        await BotReachModel.create({ _id: key, account, at: new Date() })
        owners.set(key, account)
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err
      }
      noted.add(`${account}|${key}`)
    },
    async accountFor(to) {
      if (accounts.length < 2) return MAIN_ACCOUNT
      if (to.type === 'room' || to.type === 'contact')
        return (await ownerOf(`${to.type}:${to.id}`)) ?? MAIN_ACCOUNT
      if (to.type !== 'person' || !/^[0-9a-f]{24}$/.test(to.id)) return MAIN_ACCOUNT
      const person = await ResidentModel.findById(to.id).select({ 'wechat.contactId': 1 }).lean()
      const contactId = person?.wechat?.contactId
      return (contactId && (await ownerOf(`contact:${contactId}`))) || MAIN_ACCOUNT
    },
  }
}
