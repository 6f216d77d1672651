import { purgeConsoleTickets } from '../services/auth/console-login.service.js'
import { purgeChannelFailures } from '../services/channels/channel-status.js'
import { purgeOldProbes } from '../services/channels/self-test.js'
import { purgeOldWeComTexts } from '../services/channels/wecom/wecom-inbox.js'
import { purgeOldMessageTexts } from '../services/conversations/message-retention.js'
import { PURGED_TEXT, purgeOldOutboxTexts } from '../services/outbox/outbox.retention.js'
import { type JobDeps, runnerOptions } from './deps.js'
import { type JobRunResult, runJob } from './runner.js'

export { PURGED_TEXT }

/**
 * Retention (PIPL): chat message bodies older than `retention.messageDays` are blanked — the record
 * (who, when, which chat, which case it became) stays, the words go. Quoted text and voice
 * transcripts go too, and so do the bodies of old delivered outbox messages. Cases keep what they
 * need (their own description and timeline). Console sign-in tickets a day past their expiry are
 * deleted, and so are bot self-test probes a week old. WeCom app messages are blanked like chat
 * messages. The console's per-channel failure records older than a month are deleted. The counts
 * are recorded in the job run.
 */
export function retentionJob(deps: JobDeps, now: Date): Promise<JobRunResult> {
  return runJob('retention', runnerOptions(deps), now, async (ctx) => {
    const cutoff = new Date(now.getTime() - deps.config.retention.messageDays * 24 * 3600_000)
    const purged = await purgeOldMessageTexts(cutoff)
    ctx.count('messageTexts', purged.messageTexts)
    ctx.count('quotedTexts', purged.quotedTexts)
    ctx.count('transcripts', purged.transcripts)
    ctx.count('outboxTexts', await purgeOldOutboxTexts(cutoff))
    ctx.count('wecomTexts', await purgeOldWeComTexts(cutoff, PURGED_TEXT))
    ctx.count('consoleTickets', await purgeConsoleTickets(now))
    ctx.count('channelFailures', await purgeChannelFailures(now))
    ctx.count('selfTestProbes', await purgeOldProbes(now))
  })
}
