import mongoose from 'mongoose'
import { afterEach, expect } from 'vitest'
import { CaseModel, hasOwner } from '../src/models/case.model.js'

/**
 * The owner invariant (issue 12): every case in the test's database is finished or has an owner
 * (`hasOwner`: an assignee, a department, a running claim window or a queue). A case being routed
 * right now may lack one for a moment, so the check looks again for up to `waitMs` before failing
 * with the numbers of the cases that have nobody.
 */
export async function expectEveryCaseOwned(options: { except?: string[]; waitMs?: number } = {}) {
  if (mongoose.connection.readyState !== 1) return
  const except = new Set(options.except ?? [])
  const deadline = Date.now() + (options.waitMs ?? 3000)
  let unowned = await unownedCaseNumbers(except)
  while (unowned.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200))
    unowned = await unownedCaseNumbers(except)
  }
  expect(unowned, `cases without an owner: ${unowned.join(', ')}`).toEqual([])
}

async function unownedCaseNumbers(except: ReadonlySet<string>): Promise<string[]> {
  const docs = await CaseModel.find(
    {},
    {
      number: 1,
      status: 1,
      assigneeId: 1,
      departmentId: 1,
      postedDepartmentIds: 1,
      claimDeadline: 1,
      heldAt: 1,
    },
  )
    .lean()
    .exec()
  return docs
    .filter((c) => !hasOwner(c) && !except.has(c.number))
    .map((c) => c.number)
    .sort()
}

/** Checks the owner invariant after every test of the file (call it at the top of a describe or file). */
export function checkCaseOwnersAfterEach(options: { except?: string[] } = {}): void {
  afterEach(async () => {
    await expectEveryCaseOwned(options)
  })
}
