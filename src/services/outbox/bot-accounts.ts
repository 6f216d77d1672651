import { isDuplicateKeyError } from '../../lib/errors.js'
import { BotReachModel } from '../../models/bot-account.model.js'
import { ResidentModel } from '../../models/registry.model.js'

/** The main bot account's id (the outbox's default `account`). */
export const MAIN_ACCOUNT = 'default'

type Target = { type: string; id: string }

/**
 * The bot-account pool's memory of who reaches whom, recorded when it happens: the first account
 * that hears from a group or a person keeps sending to it. One unique-key insert per group or person
 * and account (repeats are answered from memory), one `_id` read per queued message.
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
  async function ownerOf(key: string): Promise<string | undefined> {
    const doc = await BotReachModel.findById(key).lean()
    return doc && known.has(doc.account) ? doc.account : undefined
  }
  return {
    async note(account, target) {
      const key = `${target.type}:${target.id}`
      if (accounts.length < 2 || noted.has(`${account}|${key}`)) return
      try {
        await BotReachModel.create({ _id: key, account, at: new Date() })
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
