import { rebuildCaseFollows } from '../services/cases/case.follows.js'
import { tidyIntakeEntries } from '../services/cases/case.intake.js'
import { backfillPlaceKeys } from '../services/cases/case.place-keys.js'
import { recountOpenAssignments } from '../services/cases/case.workload.js'
import { tidyAsks } from '../services/conversations/asks.service.js'
import { backfillGridMonths } from '../services/points/points.grid-keys.js'
import { backfillStaffKeys } from '../services/registry/registry.staff-queries.js'
import { type JobDeps, runnerOptions } from './deps.js'
import { type JobRunResult, runJob } from './runner.js'

/**
 * Repairs what cases keep for cheap reads: each case's `holderId` (the workers' open workload routing
 * compares) and `unowned` (the intake desk's list; both written with the case, filled here on cases
 * stored before they existed) and the people's
 * `case_follows` (我的工单; a second write, fixed here when a crash came between). Intake entries past the
 * duplicate window are deleted (see `tidyIntakeEntries`). The bot's open questions are tidied too:
 * expired ones deleted, any still in the older one-document-per-subject layout moved (see `tidyAsks`).
 * Each case's top-level `communityId` / `gridId` (the lists' keys, mirrored from its location) is
 * filled or corrected in batches (see `backfillPlaceKeys`), and so are the staff's `staffKeys` (see
 * `backfillStaffKeys`), and the points ledger's `gridMonth` (a grid's leaderboard; see
 * `backfillGridMonths`). Counts are recorded in the job run.
 */
export function caseIndexesJob(deps: JobDeps, now: Date): Promise<JobRunResult> {
  return runJob('case-indexes', runnerOptions(deps), now, async (ctx) => {
    const workload = await recountOpenAssignments()
    ctx.count('workloadAdded', workload.added)
    ctx.count('workloadRemoved', workload.removed)
    ctx.count('unownedKeys', workload.unowned)
    ctx.count('follows', await rebuildCaseFollows(new Date(now.getTime() - 2 * 24 * 3600_000)))
    const intake = await tidyIntakeEntries(now, deps.config.cases.duplicateWindowHours)
    ctx.count('intakeMoved', intake.moved)
    ctx.count('intakeExpired', intake.deleted)
    ctx.count('placeKeys', (await backfillPlaceKeys()).fixed)
    ctx.count('staffKeys', (await backfillStaffKeys()).fixed)
    ctx.count('pointsGridKeys', await backfillGridMonths())
    const asks = await tidyAsks(now)
    ctx.count('asksMoved', asks.moved)
    ctx.count('asksExpired', asks.deleted)
  })
}
