import { CaseModel, OPEN_CASE_STATUSES } from '../../models/case.model.js'
import { countQueued } from '../outbox/outbox.service.js'

/** What is waiting: queued chat messages, open cases and open cases past their resolution deadline. */
export interface Backlog {
  outboxQueued: number
  openCases: number
  overdueCases: number
}

/** Three indexed counts, cheap enough to run every 30 seconds for the Prometheus gauges. */
export async function countBacklog(now: Date): Promise<Backlog> {
  const open = { status: { $in: OPEN_CASE_STATUSES } }
  const [outboxQueued, openCases, overdueCases] = await Promise.all([
    // The queue's index holds only what waits, so this count does not read every message ever sent.
    countQueued(),
    CaseModel.countDocuments(open),
    CaseModel.countDocuments({ ...open, 'deadlines.resolveBy': { $lt: now } }),
  ])
  return { outboxQueued, openCases, overdueCases }
}
