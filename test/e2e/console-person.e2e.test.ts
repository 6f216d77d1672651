import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuditModel } from '../../src/models/audit.model.js'
import { ResidentModel } from '../../src/models/registry.model.js'
import { shot, signIn, startConsoleWorld } from './console-world.js'
import type { ServiceWorld } from './service-world.js'

describe('a person’s page in the console’s registry, in Chromium', () => {
  let world: ServiceWorld
  let browser: Browser

  beforeAll(async () => {
    ;({ world, browser } = await startConsoleWorld('console-person-e2e'))
  })

  afterAll(async () => {
    await browser?.close()
    await world?.stop()
  })

  it('community staff open a grid worker from the grid list and set their WeCom userid', async () => {
    const staff = world.seed.communityStaff[0]
    const grid = world.seed.grids[0]
    if (!staff || !grid) throw new Error('no staff or grid in the seed')
    const worker = grid.primaryWorker
    const page = await signIn(browser, world.service.url, staff.name)
    await page.getByRole('link', { name: '居民台账' }).click()
    await page.locator('#grid-list').getByRole('link', { name: worker.name }).first().click()
    await expect.poll(() => page.textContent('#person-title')).toBe(worker.name)
    expect(await page.textContent('#person-wecom')).toBe('未填写')

    // A Chinese name is not a WeCom userid: the rule is shown and nothing is saved.
    const input = page.getByLabel('企业微信账号（userid）')
    await input.fill('王 网格')
    await page.getByRole('button', { name: '保存' }).click()
    await expect.poll(() => page.locator('[role=alert]').textContent()).toContain('企业微信账号只能由')
    await input.fill('wang.wangge')
    await input.press('Enter')
    await expect.poll(() => page.locator('.notice').textContent()).toBe('已保存：企业微信账号 wang.wangge。')
    expect(await page.textContent('#person-wecom')).toBe('wang.wangge')
    await shot(page, 'registry-person')
    expect((await ResidentModel.findById(worker.id).lean())?.wecomUserId).toBe('wang.wangge')
    expect(await AuditModel.countDocuments({ action: 'change_wecom_user_id', actorId: staff.id })).toBe(1)

    // Another person cannot take it: the API's sentence is shown.
    const other = grid.partTimeWorker
    await page.goto(`${world.service.url}/console/registry/people/${other.id}`)
    await expect.poll(() => page.textContent('#person-title')).toBe(other.name)
    await page.getByLabel('企业微信账号（userid）').fill('wang.wangge')
    await page.getByRole('button', { name: '保存' }).click()
    await expect
      .poll(() => page.locator('[role=alert]').textContent())
      .toBe('该企业微信账号已经关联了其他人员')
    await page.close()
  })
})
