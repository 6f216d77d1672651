import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { devSignIn, seedDemoShop } from '../../scripts/demo-setup.js'
import { testDatabaseUri } from '../db.js'
import { type ServiceWorld, startServiceWorld } from '../e2e/service-world.js'

const sh = promisify(execFile)

/** What `npm run demo` prints for signing in without WeChat, followed to the letter in a shell. */
describe('the demo’s printed development sign-in', () => {
  let world: ServiceWorld
  beforeAll(async () => {
    world = await startServiceWorld(testDatabaseUri('demosignin'), { devLogin: { enabled: true } })
  }, 120_000)
  afterAll(async () => world?.stop())

  it('signs in over the API as the community staff member and as the grid worker it names', async () => {
    const lines = devSignIn(world.service.url, world.seed)
    const staff = world.seed.communityStaff[0]?.name as string
    const worker = world.seed.grids[0]?.primaryWorker.name as string
    expect(lines.join('\n')).toContain(`点 ${staff}（社区工作人员） 或 ${worker}（网格员）`)
    // Each person's two printed commands (TOKEN=… then curl …/me), run as a user would paste them.
    const commands = lines.map((l) => l.trim()).filter((l) => /^(TOKEN=|curl )/.test(l))
    expect(commands).toHaveLength(4)
    const me: Array<{ name: string; roles: string[] }> = []
    for (let i = 0; i < commands.length; i += 2) {
      const { stdout } = await sh('bash', ['-c', `${commands[i]}\n${commands[i + 1]}`])
      me.push(JSON.parse(stdout))
    }
    expect(me.map((m) => m.name)).toEqual([staff, worker])
    expect(me[0]?.roles).toContain('community_staff')
    expect(me[1]?.roles).toContain('grid_worker')
  })

  it('opens the points shop with a community item and a merchant’s, once however often it starts', async () => {
    const shop = world.service.services.shop
    await seedDemoShop(shop, world.seed)
    await seedDemoShop(shop, world.seed)
    const items = await shop.listItems(world.seed.community.id, { includeInactive: true })
    expect(items.map((i) => [i.title, i.offeredBy.type, i.remaining])).toEqual([
      ['环保购物袋', 'community', 50],
      ['免费修鞋一次', 'merchant', 20],
    ])
  })
})
