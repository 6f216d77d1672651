import { describe, expect, it } from 'vitest'
import '../../src/models/case.model.js'
import '../../src/models/outbox.model.js'
import { countBacklog } from '../../src/services/backlog/backlog.service.js'
import { useTestDatabase } from '../db.js'
import { checkCaseOwnersAfterEach } from '../owner-invariant.js'
import { makeApiApp, makeApiWorld } from './api-world.js'

describe('backlog gauges and /metrics', () => {
  useTestDatabase()
  checkCaseOwnersAfterEach()

  it('counts queued messages, open cases and the open ones past their deadline', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const opened = await api.services.cases.open({
      channel: 'group',
      sourceKey: 'b-1',
      text: '3号楼2单元楼道灯坏了',
      category: 'facility_repair',
      reporter: { personId: String(w.zhang._id) },
    })
    const now = await countBacklog(api.clock.now())
    expect(now.openCases).toBe(1)
    expect(now.overdueCases).toBe(0)
    expect(now.outboxQueued).toBeGreaterThan(0)
    const later = await countBacklog(new Date((opened.case.due.resolveBy as Date).getTime() + 60_000))
    expect(later.overdueCases).toBe(1)
  })

  it('serves Prometheus metrics to admins only', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    expect((await api.http.get('/metrics')).status).toBe(401)
    expect((await api.http.get('/metrics').set(await w.headers('staff'))).status).toBe(403)
    const res = await api.http.get('/metrics').set(await w.headers('admin'))
    expect(res.status).toBe(200)
    expect(res.text).toContain('linli_cases_open')
    expect(res.text).toContain('linli_outbox_queued')
  })
})
