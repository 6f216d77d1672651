import { describe, expect, it } from 'vitest'
import { recordCommands } from '../../../test/command-recorder.js'
import { bindRoom, makeCommunity, makePerson, staffActor } from '../../../test/community-fixtures.js'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { ChatAskModel } from '../../models/conversation-ask.model.js'
import { NoticeModel } from '../../models/notice.model.js'
import { OutboxModel } from '../../models/outbox.model.js'
import { createAsks } from '../conversations/asks.service.js'
import { createOutbox } from '../outbox/outbox.service.js'
import { createNoticeService } from './notice.service.js'

const NOW = new Date('2026-11-28T02:00:00Z')
const settings = { timezone: 'Asia/Shanghai', confirmAboveRooms: 4, confirmAbovePersons: 5 }

/** A street of three communities: 康和 with 3 groups, 青春 with 2, 新华 with none bound yet. */
async function street() {
  const clock = fixedClock(NOW)
  const outbox = createOutbox({ clock, asks: createAsks({ clock }) })
  const notices = createNoticeService({ clock, outbox, settings })
  const kanghe = await makeCommunity('KH')
  const qingchun = await makeCommunity('QC')
  const xinhua = await makeCommunity('XH')
  for (let i = 1; i <= 3; i++)
    await bindRoom({
      roomId: `kh-${i}`,
      communityId: kanghe.community._id,
      gridId: (await kanghe.grid(i))._id,
    })
  for (let i = 1; i <= 2; i++)
    await bindRoom({
      roomId: `qc-${i}`,
      communityId: qingchun.community._id,
      gridId: (await qingchun.grid(i))._id,
    })
  const ids = [kanghe, qingchun, xinhua].map((c) => c.community._id)
  const clerk = await makePerson({
    name: '街道李科长',
    communityId: ids[0] as never,
    roles: ['street_staff'],
  })
  const streetStaff = staffActor(clerk, ['street_staff'], ids)
  const director = await makePerson({
    name: '康和王主任',
    communityId: ids[0] as never,
    roles: ['community_staff'],
  })
  const khStaff = staffActor(director, ['community_staff'], [ids[0] as never])
  return { notices, ids: ids.map(String), streetStaff, khStaff }
}

const waterCut = {
  title: '停水通知',
  body: '明天上午9点至12点管网检修停水，请提前储水。',
  requireAck: true,
  confirm: true,
}

describe('a notice for a whole street (街道通知)', () => {
  useTestDatabase({ monitorCommands: true })

  it('reaches every bound group of the street at once, one notice per community, and says which had none', async () => {
    const { notices, ids, streetStaff } = await street()
    const r = await notices.sendBatch(waterCut, streetStaff, 'street-key-0001')

    expect(r.replayed).toBe(false)
    expect(r.rooms).toBe(5)
    expect(r.enqueued).toBe(5)
    expect(r.notices.map((n) => [n.communityName, n.rooms])).toEqual([
      ['KH社区', 3],
      ['QC社区', 2],
    ])
    expect(r.skipped).toEqual([{ communityId: ids[2], communityName: 'XH社区' }])
    // Each community sees its own notice, sent, in its list and delivery report.
    for (const n of r.notices) {
      const view = await notices.get(n.id)
      expect(view).toMatchObject({ communityId: n.communityId, status: 'sent', batchId: r.batchId })
      expect(view.planned).toEqual({ rooms: n.rooms, persons: 0 })
      expect((await notices.delivery(n.id)).rooms).toHaveLength(n.rooms)
    }
    const texts = await OutboxModel.find({}, { text: 1, 'to.id': 1 }).lean<
      { text: string; to: { id: string } }[]
    >()
    expect(texts.map((t) => t.to.id).sort()).toEqual(['kh-1', 'kh-2', 'kh-3', 'qc-1', 'qc-2'])
    expect(
      texts.every((t) => t.text.startsWith('【社区通知】停水通知') && t.text.includes('收到请回复1')),
    ).toBe(true)
    // Each group's 收到 question is recorded as data, for the notice of its own community.
    const asks = await ChatAskModel.find({ kind: 'ack' }).lean()
    expect(asks).toHaveLength(5)
    const kh = r.notices[0]?.id
    expect(
      asks
        .filter((a) => a.noticeId === kh)
        .map((a) => a.subject)
        .sort(),
    ).toEqual(['room:kh-1', 'room:kh-2', 'room:kh-3'])
  })

  it('queues nothing twice when the office retries the same request, even at the same moment', async () => {
    const { notices, streetStaff } = await street()
    const [a, b] = await Promise.all([
      notices.sendBatch(waterCut, streetStaff, 'street-key-0002'),
      notices.sendBatch(waterCut, streetStaff, 'street-key-0002'),
    ])
    const again = await notices.sendBatch(waterCut, streetStaff, 'street-key-0002')
    expect(again.replayed).toBe(true)
    expect(again.enqueued).toBe(0)
    expect(a.enqueued + b.enqueued).toBe(5)
    expect(new Set([a.batchId, b.batchId, again.batchId]).size).toBe(1)
    expect(await NoticeModel.countDocuments({})).toBe(2)
    expect(await OutboxModel.countDocuments({})).toBe(5)
    // A new request (a new key) is a new notice: the office meant to send it again.
    const next = await notices.sendBatch(waterCut, streetStaff, 'street-key-0003')
    expect(next.enqueued).toBe(5)
    expect(await NoticeModel.countDocuments({})).toBe(4)
  })

  it('sends only where the sender serves: a community office cannot write to the next community', async () => {
    const { notices, ids, khStaff } = await street()
    await expect(
      notices.sendBatch(
        { ...waterCut, communityIds: [ids[0] as string, ids[1] as string] },
        khStaff,
        'kh-key-0001',
      ),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' })
    expect(await OutboxModel.countDocuments({})).toBe(0)
    // Its own community, through the same form.
    const own = await notices.sendBatch(waterCut, khStaff, 'kh-key-0002')
    expect(own.notices.map((n) => n.communityName)).toEqual(['KH社区'])
    expect(own.enqueued).toBe(3)
  })

  it('asks to confirm a large scope, and says when no group at all is bound', async () => {
    const { notices, ids, streetStaff } = await street()
    const large = { ...waterCut, requireAck: false }
    const big = await notices
      .sendBatch({ ...large, confirm: false }, streetStaff, 'k-large-1')
      .catch((e) => e)
    expect(big).toMatchObject({
      code: 'CONFLICT',
      details: { rooms: 5, communities: 3, needsConfirmation: true },
    })
    expect(big.message).toContain('3 个社区的 5 个群')
    const none = await notices
      .sendBatch({ ...large, communityIds: [ids[2] as string] }, streetStaff, 'k-none-1')
      .catch((e) => e)
    expect(none).toMatchObject({ code: 'CONFLICT' })
    expect(none.message).toContain('没有已绑定的群')
    const bad = await notices.sendBatch({ ...large, title: ' ' }, streetStaff, 'k-bad-1').catch((e) => e)
    expect(bad).toMatchObject({ code: 'INVALID_INPUT' })
    expect(await OutboxModel.countDocuments({})).toBe(0)
  })

  it('previews whom it would reach without writing anything, with the ids the notices will have', async () => {
    const { notices, streetStaff } = await street()
    const preview = await notices.sendBatch(
      { ...waterCut, confirm: false, dryRun: true },
      streetStaff,
      'k-prev-1',
    )
    expect(preview).toMatchObject({ dryRun: true, rooms: 5, enqueued: 0 })
    expect(await NoticeModel.countDocuments({})).toBe(0)
    expect(await OutboxModel.countDocuments({})).toBe(0)
    const sent = await notices.sendBatch(waterCut, streetStaff, 'k-prev-1')
    expect(sent.notices.map((n) => n.id)).toEqual(preview.notices.map((n) => n.id))
    expect(sent.enqueued).toBe(5)
  })

  it('finishes a batch a stop interrupted: the notice job sends what was stored as being sent', async () => {
    const { notices, streetStaff } = await street()
    const r = await notices.sendBatch(waterCut, streetStaff, 'street-key-0004')
    // As if the process had stopped after storing the notices, before queueing the second one's messages.
    const second = r.notices[1]?.id as string
    await OutboxModel.deleteMany({ 'refs.noticeId': second })
    await NoticeModel.updateOne({ _id: second }, { $set: { status: 'sending' } })
    expect(await notices.sendDue(NOW)).toBe(1)
    expect(await OutboxModel.countDocuments({ 'refs.noticeId': second })).toBe(2)
    expect(await OutboxModel.countDocuments({})).toBe(5)
    expect((await notices.get(second)).status).toBe('sent')
  })

  it('costs one read a community and a handful of writes, however many groups', async () => {
    const { notices, streetStaff } = await street()
    const { result, commands } = await recordCommands(() =>
      notices.sendBatch(waterCut, streetStaff, 'street-key-0005'),
    )
    console.log(`${commands.length} commands\n${commands.map((c) => `  ${c.line}`).join('\n')}`)
    expect(result.enqueued).toBe(5)
    expect(commands.filter((c) => c.collection === 'room_bindings')).toHaveLength(3)
    expect(commands.filter((c) => c.collection === 'notices').map((c) => c.name)).toEqual([
      'insert',
      'update',
    ])
    expect(commands.filter((c) => c.collection === 'outbox').map((c) => c.name)).toEqual(['insert'])
    expect(commands.length).toBeLessThanOrEqual(3 + 7)
  })
})
