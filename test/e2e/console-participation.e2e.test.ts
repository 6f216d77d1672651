import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HouseholdProxyModel } from '../../src/models/household-proxy.model.js'
import { ResidentModel } from '../../src/models/registry.model.js'
import { shot, signIn, startConsoleWorld } from './console-world.js'
import type { ServiceWorld } from './service-world.js'

/** Issue 18's last console pieces: 需要志愿者 on a case, the award form, proxy buttons, verifier. */
describe('taking part in the console, in Chromium', () => {
  let world: ServiceWorld
  let browser: Browser

  beforeAll(async () => {
    ;({ world, browser } = await startConsoleWorld('console-participation-e2e'))
  })

  afterAll(async () => {
    await browser?.close()
    await world?.stop()
  })

  /** The first grid's residents, oldest first. */
  const residentsOfGrid = async (limit: number) => {
    const grid = world.seed.grids[0]
    if (!grid) throw new Error('no grid')
    const people = await ResidentModel.find({ roles: ['resident'], gridId: grid.id })
      .sort({ _id: 1 })
      .limit(limit)
      .lean()
    return { grid, people }
  }

  it('staff flag a case 需要志愿者: a need is offered and the timeline follows it', async () => {
    const staff = world.seed.communityStaff[0]
    if (!staff) throw new Error('no staff in the seed')
    const { grid, people } = await residentsOfGrid(2)
    const [reporter, helper] = people
    if (!reporter || !helper) throw new Error('no residents in the seed')
    const { cases, volunteers } = world.service.services
    await volunteers.register(String(helper._id), { skills: ['维修'] })
    const opened = await cases.open({
      channel: 'miniprogram',
      sourceKey: 'volunteer-flag-e2e',
      text: '家里水龙头一直滴水，老人自己修不了',
      category: 'facility_repair',
      reporter: { personId: String(reporter._id) },
      location: { gridCode: grid.code },
    })
    const number = opened.case.number

    const page = await signIn(browser, world.service.url, staff.name)
    await page.goto(`${world.service.url}/console/cases/${number}`)
    await page.getByRole('button', { name: '需要志愿者' }).click()
    await page.getByLabel('需要的技能').selectOption('维修')
    await page.getByLabel('时间').fill('2030-12-10 14:30')
    await page.getByRole('button', { name: '发布并推送给志愿者' }).click()
    await expect
      .poll(() => page.textContent('#case-message'))
      .toMatch(/志愿需求 V\d{4} 已发布，已推送给 1 位合适的志愿者/)
    await expect.poll(() => page.textContent('#timeline')).toContain('需要志愿者')
    const code = (await page.textContent('#case-volunteer-need strong'))?.trim() ?? ''
    expect(code).toMatch(/^V\d{4}$/)

    await volunteers.accept(code, String(helper._id))
    await page.reload()
    await expect.poll(() => page.textContent('#timeline')).toContain(`志愿者已接单（志愿需求 ${code}）`)
    await page.locator('#case-volunteer').scrollIntoViewIfNeeded()
    await shot(page, 'case-volunteer')
    await page.close()
  })

  it('awards points on a resident’s page by the rules the signer may use, once per click', async () => {
    const staff = world.seed.communityStaff[0]
    const { grid, people } = await residentsOfGrid(3)
    const resident = people[2]
    if (!staff || !resident) throw new Error('no staff or resident in the seed')
    const { points } = world.service.services

    // A grid worker may award only activity points: 品德积分 is not offered.
    const worker = await signIn(browser, world.service.url, grid.primaryWorker.name)
    await worker.goto(`${world.service.url}/console/registry/people/${String(resident._id)}`)
    await expect.poll(() => worker.locator('#award-kind option').allTextContents()).toEqual(['活动积分'])
    await worker.close()

    const page = await signIn(browser, world.service.url, staff.name)
    await page.goto(`${world.service.url}/console/registry/people/${String(resident._id)}`)
    await expect
      .poll(() => page.locator('#award-kind option').allTextContents())
      .toEqual(['活动积分', '品德积分'])
    await page.getByLabel('积分种类').selectOption({ label: '品德积分' })
    await page.getByLabel('规则').selectOption({ label: '见义勇为（30 分）' })
    await page.getByRole('button', { name: '奖励' }).click()
    await expect.poll(() => page.locator('#points-award .error').textContent()).toBe('品德积分请写明事由')
    await page.getByLabel(/事由/).fill('雪天帮邻居推车')
    await page.getByRole('button', { name: '奖励' }).click()
    await expect
      .poll(() => page.textContent('#award-result'))
      .toBe(`已给 ${resident.name} 奖励 品德积分 30 分（见义勇为）。`)
    expect((await points.balances(String(resident._id))).conduct).toBe(30)
    await page.locator('#points-award').scrollIntoViewIfNeeded()
    await shot(page, 'points-award')
    await page.close()
  })

  it('staff add a 联户长 as a household’s proxy by searching a name, and remove one after confirming', async () => {
    const staff = world.seed.communityStaff[0]
    if (!staff) throw new Error('no staff in the seed')
    const { grid, people } = await residentsOfGrid(5)
    const [home, liaison] = [people[3], people[4]]
    if (!home?.householdId || !liaison) throw new Error('no households in the seed')
    const page = await signIn(browser, world.service.url, staff.name)
    await page.goto(`${world.service.url}/console/registry/grids/${grid.id}/${String(home.householdId)}`)
    await page.getByRole('button', { name: '登记代办人' }).click()
    await page.getByLabel('楼号、房号或姓名').fill(liaison.name)
    await page.locator('#proxy-pick-find').click()
    await page.locator('#proxy-pick-results > li > button').first().click()
    await page
      .getByRole('button', { name: `选择 ${liaison.name}` })
      .first()
      .click()
    await page.getByLabel('关系').selectOption('lianhuzhang')
    await page.getByLabel(/称呼/).fill('刘大爷家')
    await page.getByRole('button', { name: '登记', exact: true }).click()
    await expect
      .poll(() => page.textContent('#proxies-message'))
      .toBe(`已登记 ${liaison.name} 为这户的联户长代办人`)
    await expect.poll(() => page.textContent('#household-proxies')).toContain('刘大爷家')
    await page.locator('#proxies-title').scrollIntoViewIfNeeded()
    await shot(page, 'household-proxy-add')

    await page.getByRole('button', { name: `取消 ${liaison.name} 的代办` }).click()
    await page.getByRole('button', { name: '确定取消' }).click()
    await expect.poll(() => page.textContent('#proxies-message')).toBe(`已取消 ${liaison.name} 的代办`)
    // The list reloads after the message: wait for it rather than read it once.
    await expect
      .poll(() => page.textContent('.card[aria-labelledby=proxies-title]'))
      .toContain('这户还没有登记代办人')
    const link = await HouseholdProxyModel.findOne({ personId: liaison._id }).lean()
    expect(link?.status).toBe('revoked')
    await page.close()
  })

  it('opens a poll to a list of households picked by building, unit and room', async () => {
    const staff = world.seed.communityStaff[0]
    if (!staff) throw new Error('no staff in the seed')
    const page = await signIn(browser, world.service.url, staff.name)
    await page.getByRole('link', { name: '投票议事' }).click()
    await page.fill('#poll-question', '1号楼1单元是否加装电梯？')
    await page.fill('#poll-options', '同意\n不同意')
    const deadline = new Date(Date.now() + 3 * 86400_000 + 8 * 3600_000).toISOString().slice(0, 16)
    await page.fill('#poll-deadline', deadline)
    await page.getByLabel('指定住户').check()
    await page.getByRole('button', { name: '发起投票' }).click()
    await expect.poll(() => page.textContent('[role=alert]')).toBe('请至少选择一户')
    await page.getByLabel('楼号、房号或姓名').fill('1号楼1单元1')
    await page.locator('#poll-pick-find').click()
    await page.getByRole('button', { name: /添加 1号楼1单元101室/ }).click()
    await page.getByRole('button', { name: /添加 1号楼1单元102室/ }).click()
    await page.getByRole('button', { name: /添加 1号楼1单元101室/ }).click()
    await expect.poll(() => page.locator('#poll-households li').count()).toBe(2)
    await page.locator('#poll-form').scrollIntoViewIfNeeded()
    await shot(page, 'polls-households')
    await page.getByRole('button', { name: '发起投票' }).click()

    await expect.poll(() => page.textContent('h1')).toBe('投票：1号楼1单元是否加装电梯？')
    await expect.poll(() => page.textContent('main')).toContain('指定的 2 户')
    const id = /\/console\/polls\/([0-9a-f]{24})$/.exec(page.url())?.[1]
    if (!id) throw new Error(`no poll id in ${page.url()}`)
    const poll = await world.service.services.polls.get(id)
    expect(poll.audience.householdIds).toHaveLength(2)
    await page.close()
  })

  it('a merchant’s verifier sees only 核销, verifies its own code once and is told politely about a repeat', async () => {
    const staff = world.seed.communityStaff[0]
    const { people } = await residentsOfGrid(6)
    const resident = people[5]
    if (!staff || !resident) throw new Error('no staff or resident in the seed')
    const { shop, points } = world.service.services
    const community = world.seed.community.id
    // Staff open the merchant's verifier login on the shop page and get its invite code.
    const desk = await signIn(browser, world.service.url, staff.name)
    await desk.getByRole('link', { name: '积分商城' }).click()
    await desk.getByLabel('商户名称').fill('老李修鞋铺')
    await desk.getByLabel('核销员姓名').fill('李师傅')
    await desk.getByRole('button', { name: '开通' }).click()
    await expect.poll(() => desk.textContent('#merchant-invite')).toMatch(/邀请码 [A-Z0-9]{8}/)
    await desk.close()
    const verifier = { name: '李师傅' }
    const item = await shop.createItem(
      {
        communityId: community,
        title: '免费修鞋一次',
        cost: 10,
        stock: 5,
        perHouseholdLimit: 5,
        offeredBy: { type: 'merchant', name: '老李修鞋铺', contact: '' },
      },
      staff.id,
    )
    await points.adjust({
      personId: String(resident._id),
      delta: 50,
      refKey: 'merchant-e2e',
      note: '测试',
      byId: staff.id,
    })
    const r = await shop.redeem({
      itemId: item.id,
      personId: String(resident._id),
      key: 'merchant-e2e-1',
      channel: 'api',
    })

    const page = await signIn(browser, world.service.url, verifier.name)
    await expect.poll(() => page.locator('nav a').allTextContents()).toEqual(['核销'])
    await page.getByLabel(/取货码/).fill(r.code as string)
    await page.getByRole('button', { name: '核销', exact: true }).click()
    await expect.poll(() => page.textContent('#verify-result')).toContain('免费修鞋一次')
    const masked = `${[...resident.name][0]}${'*'.repeat([...resident.name].length - 1)}`
    expect(await page.textContent('#verify-result')).toContain(masked)
    expect(await page.textContent('#verify-result')).not.toContain(resident.name)
    await expect.poll(() => page.textContent('#verify-list')).toContain('已领取')
    await shot(page, 'merchant-verify')

    await page.getByLabel(/取货码/).fill(r.code as string)
    await page.getByRole('button', { name: '核销', exact: true }).click()
    await expect
      .poll(() => page.textContent('[role=alert]'))
      .toBe('这个取货码已经核销过了，不能重复领取。如有疑问请联系社区')
    await page.close()
  })
})
