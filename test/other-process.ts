/**
 * Another Linli process writing to the same database, for tests of what this process keeps in
 * memory: `tsx test/other-process.ts <uri> <action> <arg>…` connects, writes through the service's own
 * code and models, and exits. Actions: `logout <refreshToken>`, `drop-role <personId> <role>`,
 * `case-status <caseNumber> <status>`, `room-ask <roomId> <noticeId>` (a notice's 收到 question put to a
 * group), `room-settle <roomId> <noticeId>`.
 */
import mongoose from 'mongoose'
import { fixedClock } from '../src/lib/clock.js'
import { loadConfig } from '../src/lib/config.js'
import { connectMongoose } from '../src/lib/database.js'
import { silentLogger } from '../src/lib/logger.js'
import { CaseModel } from '../src/models/case.model.js'
import { ResidentModel } from '../src/models/registry.model.js'
import { createAuthService } from '../src/services/auth/auth.service.js'
import { createAsks } from '../src/services/conversations/asks.service.js'

async function main(): Promise<void> {
  const [uri, action, a, b] = process.argv.slice(2)
  if (!uri || !action || !a) throw new Error('usage: other-process <uri> <action> <arg>…')
  await connectMongoose(uri)
  if (action === 'logout') {
    const config = loadConfig({ LINLI_ENV: 'test', LINLI_TOKEN_SECRET: 'other-process' }, {})
    await createAuthService({ config, clock: fixedClock(new Date()), logger: silentLogger }).logout(a)
  } else if (action === 'drop-role') {
    await ResidentModel.updateOne({ _id: a }, { $pull: { roles: b } }).exec()
  } else if (action === 'case-status') {
    await CaseModel.updateOne({ number: a }, { $set: { status: b, updatedAt: new Date() } }).exec()
  } else if (action === 'room-ask' && b) {
    const asks = createAsks({ clock: { now: () => new Date() } })
    await asks.record({ type: 'room', id: a }, { kind: 'ack', noticeId: b, ttlMs: 86_400_000 })
  } else if (action === 'room-settle' && b) {
    const asks = createAsks({ clock: { now: () => new Date() } })
    await asks.settle({ type: 'room', id: a }, { kind: 'ack', noticeId: b })
  } else throw new Error(`unknown action ${action}`)
  await mongoose.disconnect()
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`)
    process.exit(1)
  },
)
