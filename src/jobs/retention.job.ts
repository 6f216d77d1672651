import { ChatMessageModel } from '../models/chat-message.model.js'
import { OutboxModel } from '../models/outbox.model.js'
import { type JobDeps, runnerOptions } from './deps.js'
import { type JobRunResult, runJob } from './runner.js'

export const PURGED_TEXT = '（已按保存期限清除）'

/**
 * Retention (PIPL): chat message bodies older than `retention.messageDays` are blanked — the record
 * (who, when, which chat, which case it became) stays, the words go. Quoted text and voice
 * transcripts go too, and so do the bodies of old delivered outbox messages. Cases keep what they
 * need (their own description and timeline). The counts are recorded in the job run.
 */
export function retentionJob(deps: JobDeps, now: Date): Promise<JobRunResult> {
  return runJob('retention', runnerOptions(deps), now, async (ctx) => {
    const cutoff = new Date(now.getTime() - deps.config.retention.messageDays * 24 * 3600_000)
    const old = { receivedAt: { $lt: cutoff } }
    const texts = await ChatMessageModel.updateMany({ ...old, text: { $ne: '' } }, { $set: { text: '' } })
    ctx.count('messageTexts', texts.modifiedCount)
    const quotes = await ChatMessageModel.updateMany(
      { ...old, 'quoted.text': { $exists: true, $ne: '' } },
      { $set: { 'quoted.text': '' } },
    )
    ctx.count('quotedTexts', quotes.modifiedCount)
    const voiced = await ChatMessageModel.find(
      { ...old, 'attachments.transcript': { $exists: true } },
      { attachments: 1 },
    ).lean()
    for (const m of voiced) {
      const attachments = (m.attachments ?? []).map(({ transcript: _t, ...rest }) => rest)
      await ChatMessageModel.updateOne({ _id: m._id }, { $set: { attachments } })
    }
    ctx.count('transcripts', voiced.length)
    const outbound = await OutboxModel.updateMany(
      {
        createdAt: { $lt: cutoff },
        status: { $in: ['sent', 'failed', 'undeliverable'] },
        text: { $ne: PURGED_TEXT },
      },
      { $set: { text: PURGED_TEXT } },
    )
    ctx.count('outboxTexts', outbound.modifiedCount)
  })
}
