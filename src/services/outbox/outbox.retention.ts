import { OutboxModel } from '../../models/outbox.model.js'

/** What an old outbox message's text becomes once its retention period is over. */
export const PURGED_TEXT = '（已按保存期限清除）'

/** Replaces the text of finished outbox messages created before `cutoff`; returns how many. */
export async function purgeOldOutboxTexts(cutoff: Date): Promise<number> {
  const outbound = await OutboxModel.updateMany(
    {
      createdAt: { $lt: cutoff },
      status: { $in: ['sent', 'failed', 'undeliverable'] },
      text: { $ne: PURGED_TEXT },
    },
    { $set: { text: PURGED_TEXT } },
  )
  return outbound.modifiedCount
}
