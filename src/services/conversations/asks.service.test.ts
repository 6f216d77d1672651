import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { recordCommands } from '../../../test/command-recorder.js'
import { useTestDatabase } from '../../../test/db.js'
import type { Clock } from '../../lib/clock.js'
import { ChatAskModel, ConversationAsksModel } from '../../models/conversation-ask.model.js'
import { withVersionScope } from '../../models/registry-version.model.js'
import { createAsks, tidyAsks } from './asks.service.js'

describe('the bot’s open questions', () => {
  const db = useTestDatabase({ monitorCommands: true })
  const t0 = new Date('2026-12-01T02:00:00.000Z')
  let at = t0.getTime()
  const clock: Clock = { now: () => new Date(at) }
  const asks = createAsks({ clock })
  const zhang = { type: 'person' as const, id: 'p-zhang' }

  it('gives the newest open question first, only in the chat it was asked in', async () => {
    at = t0.getTime()
    await asks.record(zhang, { kind: 'rating', caseNumber: '261201-0001', ttlMs: 86_400_000 })
    at += 60_000
    await asks.record(zhang, { kind: 'ack', noticeId: 'n1', ttlMs: 86_400_000 })
    const open = await asks.openFor({ personId: 'p-zhang', contactId: 'c-zhang' })
    expect(open.map((a) => a.kind)).toEqual(['ack', 'rating'])
    expect(open[1]?.caseNumber).toBe('261201-0001')
    // The same person writing in a group is not answering a question put in the direct chat.
    expect(await asks.openFor({ personId: 'p-zhang', contactId: 'c-zhang' }, 'room-1')).toEqual([])
  })

  it('forgets a question once answered or expired', async () => {
    at = t0.getTime()
    await asks.record(zhang, { kind: 'rating', caseNumber: 'A', ttlMs: 60_000 })
    await asks.record(zhang, { kind: 'rating', caseNumber: 'B', ttlMs: 3_600_000 })
    await asks.settle(zhang, { kind: 'rating', caseNumber: 'B' })
    expect((await asks.openFor({ personId: 'p-zhang', contactId: 'c' })).map((a) => a.caseNumber)).toEqual([
      'A',
    ])
    at += 61_000
    expect(await asks.openFor({ personId: 'p-zhang', contactId: 'c' })).toEqual([])
  })

  it('lets anyone in a group answer what was asked of the group', async () => {
    at = t0.getTime()
    await asks.record({ type: 'room', id: 'room-1' }, { kind: 'ack', noticeId: 'n9', ttlMs: 86_400_000 })
    const open = await asks.openFor({ contactId: 'c-li' }, 'room-1')
    expect(open).toHaveLength(1)
    expect(open[0]).toMatchObject({ kind: 'ack', noticeId: 'n9', chat: 'room:room-1' })
  })

  it('keeps one record when the same question is asked twice at once', async () => {
    at = t0.getTime()
    await Promise.all(
      [1, 2, 3].map(() => asks.record(zhang, { kind: 'rating', caseNumber: 'C', ttlMs: 60_000 })),
    )
    await asks.record(zhang, { kind: 'location', caseNumber: 'D', ttlMs: 60_000 })
    const open = await asks.openFor({ personId: 'p-zhang', contactId: 'c' })
    expect(open.map((a) => `${a.kind}:${a.caseNumber}`).sort()).toEqual(['location:D', 'rating:C'])
  })

  it('records a notice’s 收到 question for many groups in one write, once each when sent ten times at once', async () => {
    at = t0.getTime()
    const rooms = ['room-a', 'room-b', 'room-c'].map((id) => ({ type: 'room' as const, id }))
    const items = rooms.map((subject) => ({
      subject,
      ask: { kind: 'ack' as const, noticeId: 'n-city', ttlMs: 86_400_000 },
    }))
    await Promise.all(Array.from({ length: 10 }, () => asks.recordMany(items)))
    expect(await ChatAskModel.countDocuments({ noticeId: 'n-city' })).toBe(3)
    for (const { id } of rooms) {
      const open = await asks.openFor({ contactId: 'c-li' }, id)
      expect(open).toEqual([expect.objectContaining({ kind: 'ack', noticeId: 'n-city', chat: `room:${id}` })])
    }
  })

  it('keeps every group’s question when another notice writes one of the same groups at once', async () => {
    // A batch whose first upsert meets the same question created a moment before must still write
    // the rest: a server that stops an unordered batch there (FerretDB 1.24) reports nothing.
    at = t0.getTime()
    for (let round = 0; round < 8; round++) {
      const rooms = ['a', 'b', 'c', 'd'].map((id) => ({ type: 'room' as const, id: `r${round}-${id}` }))
      const ask = { kind: 'ack' as const, noticeId: `n-${round}`, ttlMs: 86_400_000 }
      const [first] = rooms
      await Promise.all([
        asks.recordMany(rooms.map((subject) => ({ subject, ask }))),
        ...Array.from({ length: 4 }, () => asks.recordMany([{ subject: first as (typeof rooms)[0], ask }])),
      ])
      expect(await ChatAskModel.countDocuments({ noticeId: `n-${round}` })).toBe(4)
    }
  })

  it('moves questions kept in the older layout and deletes expired ones, so none is lost or read again', async () => {
    at = t0.getTime()
    const ask = (kind: string, caseNumber: string, ttl: number) => ({
      kind,
      chat: 'dm',
      caseNumber,
      askedAt: new Date(at),
      expiresAt: new Date(at + ttl),
    })
    await ConversationAsksModel.create({
      _id: 'person:p-zhang',
      asks: [ask('rating', 'OLD', 3_600_000), ask('location', 'GONE', 1_000)],
    })
    await asks.record(zhang, { kind: 'ack', noticeId: 'n2', ttlMs: 1_000 })
    const tidied = await tidyAsks(new Date(at + 2_000))
    expect(tidied).toEqual({ moved: 1, deleted: 1 })
    at += 2_000
    const open = await asks.openFor({ personId: 'p-zhang', contactId: 'c' })
    expect(open.map((a) => `${a.kind}:${a.caseNumber}`)).toEqual(['rating:OLD'])
    expect(await ConversationAsksModel.countDocuments()).toBe(0)
    expect(await ChatAskModel.countDocuments()).toBe(1)
  })

  it('keeps a group’s questions in memory, and sees one another process puts or settles', async () => {
    at = Date.now()
    const other = (...args: string[]) =>
      promisify(execFile)(
        path.resolve('node_modules', '.bin', 'tsx'),
        [path.resolve('test', 'other-process.ts'), db.uri(), ...args],
        { timeout: 60_000 },
      )
    // One group message: its versions read once, the group's questions from memory after the first.
    const inGroup = () =>
      recordCommands(() => withVersionScope(() => asks.openFor({ contactId: 'c-li' }, 'room-9')))
    await inGroup()
    const again = await inGroup()
    expect(again.result).toEqual([])
    // The contact's questions (one read) and the versions: nothing for the group's.
    expect(again.commands.map((c) => c.line).sort()).toEqual([
      'find chat_asks {"subject":"String"}',
      'find registry_versions {"set":"String"}',
    ])
    await other('room-ask', 'room-9', 'notice-7')
    const asked = await inGroup()
    expect(asked.result.map((a) => [a.kind, a.noticeId])).toEqual([['ack', 'notice-7']])
    expect((await inGroup()).commands).toHaveLength(2)
    await other('room-settle', 'room-9', 'notice-7')
    expect((await inGroup()).result).toEqual([])
  })
})
