import type { BotRuntime } from '../src/bot/runtime.js'
import type { DemoSeed } from '../src/services/registry/seed.js'

// The demo's WeChat side on the mock puppet, shared by `npm run demo` and the browser test.

/** The demo groups: a stable room id (so a restart finds its binding), the topic and the grid. */
export const DEMO_ROOMS = [
  { id: 'demo-kh01@chatroom', topic: '康和社区1号楼业主群', grid: 'KH-01' },
  { id: 'demo-kh04@chatroom', topic: '康和社区10号楼邻里群', grid: 'KH-04' },
]

/** The seeded staff get WeChat contacts in the mock world under their seeded contact ids. */
export function linkStaffContacts(bot: BotRuntime, seed: DemoSeed): void {
  const world = bot.mock
  if (!world) return
  const people = [
    ...seed.grids.flatMap((g) => [g.primaryWorker, g.partTimeWorker]),
    ...seed.communityStaff,
    seed.admin,
    seed.intakeDesk,
  ]
  for (const p of people) {
    if (!world.mocker.cacheContactPayload.has(p.contactId))
      world.mocker.createContact({ id: p.contactId, name: p.name })
  }
}

/** Creates the demo groups in the mock world (stable ids) and binds them to their grids; idempotent. */
export async function bindDemoRooms(bot: BotRuntime, seed: DemoSeed) {
  const world = bot.mock
  if (!world) return []
  const out = []
  for (const r of DEMO_ROOMS) {
    const grid = seed.grids.find((g) => g.code === r.grid)
    if (!grid) continue
    if (!world.mocker.cacheRoomPayload.has(r.id)) {
      world.mocker.createRoom({
        id: r.id,
        topic: r.topic,
        memberIdList: [world.botUser.id, grid.primaryWorker.contactId, grid.partTimeWorker.contactId],
        adminIdList: [],
      })
    }
    await bot.rooms.bindAsSystem({ roomId: r.id, topic: r.topic, target: { scope: 'grid', code: r.grid } })
    out.push({ ...r, worker: grid.primaryWorker.name })
  }
  return out
}
