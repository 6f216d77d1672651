import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuditModel } from '../../src/models/audit.model.js'
import { ResidentModel } from '../../src/models/registry.model.js'
import { shot, startConsoleWorld } from './console-world.js'
import type { ServiceWorld } from './service-world.js'

describe('the console’s registry and policy pages in Chromium', () => {
  let world: ServiceWorld
  let browser: Browser

  beforeAll(async () => {
    ;({ world, browser } = await startConsoleWorld('console-registry-e2e'))
  })

  afterAll(async () => {
    await browser?.close()
    await world?.stop()
  })

  /** A page signed in (dev login) as the named staff member, with page errors failing the test. */
  async function signIn(name: string, width = 1366, height = 768): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height } })
    page.on('pageerror', (err) => {
      throw err
    })
    await page.goto(`${world.service.url}/console/`)
    await page.getByRole('button', { name: new RegExp(name) }).click()
    await expect.poll(() => page.textContent('#who-name')).toBe(name)
    return page
  }

  const gridOf = (i: number) => {
    const grid = world.seed.grids[i]
    if (!grid) throw new Error(`no grid ${i} in the seed`)
    return grid
  }

  it('staff import a roster with a bad row, browse to the new household and reveal a phone with a reason', async () => {
    const staff = world.seed.communityStaff[0]
    if (!staff) throw new Error('no community staff in the seed')
    const grid = gridOf(0)
    const building = grid.buildings[0] ?? '1'
    const page = await signIn(staff.name)
    await page.getByRole('link', { name: '居民台账' }).click()
    await expect.poll(() => page.textContent('h1')).toBe('居民台账')

    // Upload: two good rows for a new household, one with a phone number that is too short.
    const csv = [
      '网格编号,楼栋,单元,房号,姓名,手机号,人员类别',
      `${grid.code},${building},1,1808,台账甲,13900001111,独居老人`,
      `${grid.code},${building},1,1808,台账乙,139,`,
      `${grid.code},${building},1,1808,台账丙,13900002222,`,
    ].join('\n')
    await page.setInputFiles('#roster-file', {
      name: '花名册.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    })
    await page.getByRole('button', { name: '上传并导入' }).click()
    await expect.poll(() => page.textContent('#import-result')).toContain('1 行有问题未导入')
    const errorRow = page.locator('#import-errors tbody tr')
    expect(await errorRow.count()).toBe(1)
    expect(await errorRow.textContent()).toContain('第 3 行')
    expect(await errorRow.textContent()).toContain('手机号')
    expect(await errorRow.textContent()).toContain('手机号格式不正确')
    expect(await page.textContent('#import-households')).toMatch(/住户\s*1\s*0\s*0/)
    expect(await page.textContent('#import-residents')).toMatch(/居民\s*2\s*0\s*0/)
    expect(await ResidentModel.countDocuments({ name: { $in: ['台账甲', '台账丙'] } })).toBe(2)
    expect(await ResidentModel.countDocuments({ name: '台账乙' })).toBe(0)
    await shot(page, 'registry-import')

    // Browse: grid → the new household (found by a resident's name) → its residents, numbers masked.
    const gridRow = page.locator('#grid-list tbody tr', { hasText: grid.code })
    expect(await gridRow.textContent()).toContain(grid.primaryWorker.name)
    await gridRow.getByRole('link', { name: grid.code }).click()
    await expect.poll(() => page.textContent('#households-title')).toContain(grid.code)
    await page.fill('#household-q', '台账甲')
    await page.getByRole('button', { name: '查找' }).click()
    await expect.poll(() => page.textContent('#household-total')).toBe('找到 1 户')
    // The building's printable door codes open in a new tab, the new household among them.
    const [sheet] = await Promise.all([
      page.waitForEvent('popup'),
      page.getByRole('button', { name: `打印${building}号楼门牌码` }).click(),
    ])
    await expect.poll(() => sheet.textContent('body')).toContain('1808')
    await sheet.close()
    const home = page.locator('#household-list tbody tr').first()
    expect(await home.textContent()).toContain(`${building}号楼1单元1808`)
    expect(await home.textContent()).toContain('2 人')
    expect(await home.textContent()).toContain('独居老人')
    await home.getByRole('link', { name: /查看居民/ }).click()
    const row = page.locator('#resident-list tr[data-resident="台账甲"]')
    await expect.poll(() => row.locator('.phone').textContent()).toBe('139****1111')
    expect(await page.textContent('#resident-list')).not.toContain('13900001111')

    // Reveal: a reason is required; the full number shows in that row only, and the access is audited.
    await row.getByRole('button', { name: /查看完整信息/ }).click()
    await page.getByRole('button', { name: '确认查看' }).click()
    await expect.poll(() => row.textContent()).toContain('请填写查看理由')
    await page.getByLabel('查看理由').fill('核实独居老人联系方式')
    await page.getByRole('button', { name: '确认查看' }).click()
    await expect.poll(() => row.locator('.phone').textContent()).toBe('13900001111')
    expect(await row.textContent()).toContain('本次查看已记录')
    const other = page.locator('#resident-list tr[data-resident="台账丙"]')
    expect(await other.locator('.phone').textContent()).toBe('139****2222')
    const resident = await ResidentModel.findOne({ name: '台账甲' }).orFail().lean()
    const audit = await AuditModel.findOne({
      action: 'reveal_personal_data',
      residentId: resident._id,
    }).lean()
    expect(audit?.reason).toBe('核实独居老人联系方式')
    expect(String(audit?.actorId)).toBe(staff.id)
    await shot(page, 'registry-household')

    await page.setViewportSize({ width: 375, height: 812 })
    await shot(page, 'registry-phone')
    await page.close()
  }, 90_000)

  it('staff upload a policy document, see it listed with its state and retire it', async () => {
    const staff = world.seed.communityStaff[0]
    if (!staff) throw new Error('no community staff in the seed')
    const page = await signIn(staff.name)
    await page.getByRole('link', { name: '政策库' }).click()
    await expect.poll(() => page.textContent('h1')).toBe('政策库')
    await page.setInputFiles('#kb-file', {
      name: 'garbage-sorting-2026.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from(
        '垃圾分类投放时间通知\n\n第一条 厨余垃圾每天早7点至9点、晚6点至8点在小区投放点投放。\n\n第二条 大件垃圾请提前一天联系物业预约清运。\n',
      ),
    })
    await page.fill('#kb-doc-title', '垃圾分类投放时间通知')
    await page.fill('#kb-effective', '2026-01-01')
    await page.getByRole('button', { name: '上传', exact: true }).click()
    await expect.poll(() => page.textContent('#kb-message')).toContain('《垃圾分类投放时间通知》已上传')
    const row = page.locator('#kb-documents tr[data-doc="garbage-sorting-2026"]')
    expect(await row.textContent()).toContain('现行有效')
    expect(await row.textContent()).toContain('2026-01-01')
    expect(await row.textContent()).toContain('纯文本')
    const listed = await world.service.services.kb.listDocuments()
    expect(listed.find((d) => d.docId === 'garbage-sorting-2026')?.status).toBe('in_force')
    await shot(page, 'kb-documents')

    await row.getByRole('button', { name: /废止/ }).click()
    await expect.poll(() => row.textContent()).toContain('已废止')
    const after = await world.service.services.kb.listDocuments()
    expect(after.find((d) => d.docId === 'garbage-sorting-2026')?.answering).toBe(false)
    await page.close()
  }, 60_000)

  it('a grid worker sees only their own grid and is refused another grid’s households', async () => {
    const mine = gridOf(1)
    const foreign = gridOf(0)
    const page = await signIn(mine.primaryWorker.name)
    await page.getByRole('link', { name: '居民台账' }).click()
    await expect.poll(() => page.locator('#grid-list tbody tr').count()).toBe(1)
    expect(await page.textContent('#grid-list')).toContain(mine.code)
    expect(await page.locator('#import-title').count()).toBe(0)

    await page.goto(`${world.service.url}/console/registry/grids/${foreign.id}`)
    await expect.poll(() => page.textContent('[role=alert]')).toContain('只能查看本社区或本网格的数据')
    expect(await page.locator('#household-list').count()).toBe(0)
    await page.close()
  }, 60_000)
})
