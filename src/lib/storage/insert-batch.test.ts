import { describe, expect, it } from 'vitest'
import { recordCommands } from '../../../test/command-recorder.js'
import { useTestDatabase } from '../../../test/db.js'
import { LookupKeyModel } from '../../models/lookup-key.model.js'
import { isDuplicateKeyError } from '../errors.js'
import { batchedInserts } from './insert-batch.js'
import { claimKey } from './lookup-keys.js'

describe('inserts that arrive together', () => {
  useTestDatabase()

  it('ten claims of one key at once: one wins, all learn its owner, in fewer commands than claims', async () => {
    const { result, commands } = await recordCommands(() =>
      Promise.all(Array.from({ length: 10 }, (_, i) => claimKey('case-source', 'wx:msg-1', `case-${i}`))),
    )
    expect(result.filter((r) => r.claimed)).toHaveLength(1)
    const winner = result.find((r) => r.claimed)?.ref
    expect(new Set(result.map((r) => r.ref))).toEqual(new Set([winner]))
    expect((await LookupKeyModel.findById('case-source:wx:msg-1').lean())?.ref).toBe(winner)
    const inserts = commands.filter((c) => c.name === 'insert' && c.collection === 'lookup_keys')
    expect(inserts.length).toBeLessThan(10)
  })

  it('gives each caller its own fate: stored, refused as a duplicate, refused as invalid', async () => {
    await LookupKeyModel.create({ _id: 'room:taken', ref: 'first', at: new Date() })
    const insert = batchedInserts(LookupKeyModel)
    const outcome = (p: Promise<void>) =>
      p.then(
        () => 'stored',
        (err: unknown) => (isDuplicateKeyError(err) ? 'duplicate' : 'invalid'),
      )
    const results = await Promise.all([
      outcome(insert({ _id: 'room:a', ref: 'x', at: new Date() })),
      outcome(insert({ _id: 'room:taken', ref: 'second', at: new Date() })),
      outcome(insert({ _id: 'room:b', at: new Date() })), // no ref: the schema requires one
      outcome(insert({ _id: 'room:c', ref: 'y', at: new Date() })),
      outcome(insert({ _id: 'room:c', ref: 'z', at: new Date() })), // the same key twice in one batch
    ])
    expect(results).toEqual(['stored', 'duplicate', 'invalid', 'stored', 'duplicate'])
    const stored = await LookupKeyModel.find({}).sort({ _id: 1 }).lean()
    expect(stored.map((d) => [d._id, d.ref])).toEqual([
      ['room:a', 'x'],
      ['room:c', 'y'],
      ['room:taken', 'first'],
    ])
  })
})
