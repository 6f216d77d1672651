import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CONSOLE_DIST } from '../../src/http/routes/console.routes.js'
import { useTestDatabase } from '../db.js'
import { makeApiApp, makeApiWorld } from './api-world.js'

// console/dist is built by the global setup (test/global-setup.ts) when missing or stale.
const asset = readdirSync(path.join(CONSOLE_DIST, 'assets')).find((f) => f.endsWith('.js')) ?? ''

describe('the staff console at /console/', () => {
  useTestDatabase()

  it('serves the app, its hashed assets for a year, and the app again for its own pages', async () => {
    const { http } = makeApiApp()
    const page = await http.get('/console/')
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toContain('text/html')
    expect(page.text).toContain('邻里 · 社区工作台')
    expect(page.headers['cache-control']).toBe('no-cache')

    // A client-side page (a case, the sign-in) gets the same app, so a reload or a shared link works.
    const deep = await http.get('/console/cases/261127-0001')
    expect(deep.status).toBe(200)
    expect(deep.text).toBe(page.text)
    expect((await http.get('/console')).text).toBe(page.text)

    const js = await http.get(`/console/assets/${asset}`)
    expect(js.status).toBe(200)
    expect(js.headers['content-type']).toContain('javascript')
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(js.text).toBe(readFileSync(path.join(CONSOLE_DIST, 'assets', asset), 'utf8'))
  })

  it('answers a missing file or a way out of console/dist with a Chinese 404, never a file outside', async () => {
    const { http } = makeApiApp()
    const missing = await http.get('/console/assets/nothing-here.js')
    expect(missing.status).toBe(404)
    expect(missing.body.error).toEqual({ code: 'NOT_FOUND', message: '页面不存在' })
    for (const p of [
      '/console/..%2f..%2fpackage.json',
      '/console/%2e%2e/%2e%2e/package.json',
      '/console/assets/..%2f..%2f..%2fsrc%2fmain.ts',
      '/console/%2fetc%2fhosts.allow',
      '/console/.env',
    ]) {
      const res = await http.get(p)
      expect(res.status, p).toBe(404)
      expect(res.text, p).not.toContain('"dependencies"')
      expect(res.text, p).not.toContain('ALL:')
    }
    // A path without a file name is one of the app's own pages: the app, not the file it names.
    const page = await http.get('/console/%2fetc%2fpasswd')
    expect(page.text).toContain('邻里 · 社区工作台')
    expect(page.text).not.toContain('root:')
  })

  it('GET /api/v1/me tells the signed-in person who they are; anonymous callers must sign in', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const me = await api.http.get('/api/v1/me').set(await w.headers('staff'))
    expect(me.status).toBe(200)
    expect(me.body).toEqual({
      personId: String(w.staff._id),
      name: '陈社区',
      roles: ['community_staff'],
      communityIds: [String(w.community._id)],
      gridIds: [],
    })
    const worker = await api.http.get('/api/v1/me').set(await w.headers('worker'))
    expect(worker.body).toMatchObject({
      name: '王网格',
      roles: ['grid_worker'],
      gridIds: [String(w.grid._id)],
    })
    const anonymous = await api.http.get('/api/v1/me')
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.error.message).toMatch(/登录/)
  })

  it('lists staff to sign in as only when dev login is on, and never residents', async () => {
    const off = makeApiApp()
    expect((await off.http.get('/api/v1/auth/dev-staff')).status).toBe(404)
    const on = makeApiApp(undefined, { LINLI_DEV_LOGIN: 'true' })
    await makeApiWorld(on)
    const res = await on.http.get('/api/v1/auth/dev-staff')
    expect(res.status).toBe(200)
    const names = (res.body.items as Array<{ name: string }>).map((p) => p.name)
    expect(names).toEqual(expect.arrayContaining(['陈社区', '王网格', '管理员']))
    expect(names).not.toContain('张阿姨')
    expect(names).not.toContain('外社区居民')
  })
})
