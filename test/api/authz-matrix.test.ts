import { describe, it } from 'vitest'
import { AuditModel } from '../../src/models/audit.model.js'
import { CaseModel } from '../../src/models/case.model.js'
import { OutboxModel } from '../../src/models/outbox.model.js'
import { ResidentModel } from '../../src/models/registry.model.js'
import { useTestDatabase } from '../db.js'
import { checkCaseOwnersAfterEach } from '../owner-invariant.js'
import { runRow } from '../security/authz-harness.js'
import { CASE_ROWS } from '../security/case-rows.js'

/** What a denied call must not have changed: the cases, the residents, the outbox and the audit log. */
async function snapshot(): Promise<string> {
  const [cases, residents, outbox, audits] = await Promise.all([
    CaseModel.find({}, { number: 1, status: 1, timeline: 1, subscribers: 1 }).sort({ number: 1 }).lean(),
    ResidentModel.find({}, { name: 1, erasedAt: 1 }).sort({ _id: 1 }).lean(),
    OutboxModel.countDocuments(),
    AuditModel.countDocuments(),
  ])
  return JSON.stringify({ cases, residents, outbox, audits })
}

describe('authorization matrix: every case, points, stats and resident route × role', () => {
  useTestDatabase()
  checkCaseOwnersAfterEach()

  // The platform routes (auth, registry, grids, kb, events, notices, uploads, metrics) and the check
  // that every served route has a row are in test/security/authz-matrix.test.ts.
  it.each(CASE_ROWS.map((r) => [r.route, r] as const))('%s', async (_name, row) => {
    await runRow(row, snapshot)
  })
})
