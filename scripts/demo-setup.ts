import type { BotRuntime } from '../src/bot/runtime.js'
import type { EventService } from '../src/services/events/event.service.js'
import type { DemoSeed } from '../src/services/registry/seed.js'
import type { ShopService } from '../src/services/shop/shop.service.js'

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

/**
 * One upcoming neighbourhood event (three days from now, 09:30 Beijing time), so the console's 活动
 * page and the chat's 活动 / 报名 have something to show; created once (kept when the demo restarts).
 */
export async function seedDemoEvent(events: EventService, seed: DemoSeed, now: Date): Promise<void> {
  const staff = seed.communityStaff[0]
  if (!staff) return
  const upcoming = await events.listForCommunity(seed.community.id, { limit: 5 })
  if (upcoming.length > 0) return
  const day = new Date(now.getTime() + 3 * 86_400_000).toLocaleDateString('sv-SE', {
    timeZone: 'Asia/Shanghai',
  })
  await events.create(
    {
      communityId: seed.community.id,
      title: '冬季消防安全讲座',
      place: '康和社区党群服务中心二楼活动室',
      startsAt: `${day} 09:30`,
      endsAt: `${day} 11:00`,
      capacity: 40,
      description: '消防站教员讲解冬季取暖、电动车充电的防火知识，现场演示灭火器使用。',
      volunteerHours: 0,
    },
    { personId: staff.id, roles: ['community_staff'], communityIds: [seed.community.id], gridIds: [] },
  )
}

/**
 * Two things to redeem in the points shop (one the community's, one a local merchant's), so 「积分」 and
 * 「兑换 1」 in chat and the console's 积分商城 show the whole flow; created once.
 */
export async function seedDemoShop(shop: ShopService, seed: DemoSeed): Promise<void> {
  const staff = seed.communityStaff[0]
  if (!staff) return
  if ((await shop.listItems(seed.community.id, { includeInactive: true })).length > 0) return
  await shop.createItem(
    {
      communityId: seed.community.id,
      title: '环保购物袋',
      description: '社区党群服务中心一楼服务台领取',
      cost: 20,
      stock: 50,
    },
    staff.id,
  )
  await shop.createItem(
    {
      communityId: seed.community.id,
      title: '免费修鞋一次',
      description: '康和路 12 号李师傅修鞋铺，凭取货码',
      cost: 30,
      stock: 20,
      offeredBy: { type: 'merchant', name: '李师傅修鞋铺', contact: '' },
    },
    staff.id,
  )
}

/**
 * How to sign in without WeChat (dev login, on in the demo only): in the console by picking a name,
 * over the API with curl, as a community staff member and as a grid worker.
 */
export function devSignIn(url: string, seed: DemoSeed): string[] {
  const staff = seed.communityStaff[0]?.name
  const worker = seed.grids[0]?.primaryWorker.name
  const people = [
    { who: '社区工作人员', name: staff },
    { who: '网格员', name: worker },
  ].filter((p): p is { who: string; name: string } => Boolean(p.name))
  const lines = ['', '开发登录（仅演示环境开启，生产环境不可用）：']
  lines.push(
    `  工作台：打开 ${url}/console/ ，在「演示：直接选择工作人员登录」点 ${people.map((p) => `${p.name}（${p.who}）`).join(' 或 ')}。`,
  )
  lines.push('  API：先用姓名换取访问令牌，再带着令牌调用接口，例如：')
  for (const p of people) {
    lines.push(`    # ${p.who} ${p.name}`)
    lines.push(
      `    TOKEN=$(curl -s -X POST ${url}/api/v1/auth/dev-login -H 'content-type: application/json' -d '{"name":"${p.name}"}' | sed -E 's/.*"accessToken":"([^"]+)".*/\\1/')`,
    )
    lines.push(`    curl -s -H "Authorization: Bearer $TOKEN" ${url}/api/v1/me`)
  }
  return lines
}
