import { loadConfig } from '../src/lib/config.js'
import { createLogger } from '../src/lib/logger.js'
import { type RunningService, startService } from '../src/main.js'
import { seedDemo } from '../src/services/registry/seed.js'
import { importDemoPolicies, loadDemoGuide } from './demo-guide.js'
import { bindDemoRooms, devSignIn, linkStaffContacts, seedDemoEvent, seedDemoShop } from './demo-setup.js'

// `npm run demo`: the whole service on the embedded database with the mock WeChat puppet, the demo
// community seeded (idempotent), its own policy documents (demo/kb/) imported, a few groups bound and
// the grid workers' WeChat contacts linked. Runs until Ctrl+C.

const say = (line = '') => process.stdout.write(`${line}\n`)

/** Imports the demo community's policy documents (demo/kb/); returns how many are in use. */
async function importPolicies(service: RunningService): Promise<number> {
  const summary = await importDemoPolicies(service.services.kb)
  for (const f of summary.failed) say(`  未能导入：${f.file}（${f.error}）`)
  return summary.imported + summary.updated + summary.skipped
}

async function main(): Promise<void> {
  const config = loadConfig(process.env, {
    // A livelier pace than production's default, so replies show up quickly in the simulator; dev
    // login on (never in production), so the console's sign-in page lists the demo staff to pick.
    overrides: {
      outbox: { perMinute: 60, jitterMs: 300 },
      ...(process.env.LINLI_ENV === 'production' ? {} : { devLogin: { enabled: true } }),
    },
  })
  const logger = createLogger({ level: process.env.LINLI_LOG_LEVEL ?? 'warn' })
  say('邻里 Linli 演示：正在启动（首次运行会下载并启动内置数据库，请稍候）…')
  const service = await startService(config, logger)
  say('正在准备演示社区「康和社区」（首次约 20 秒）…')
  const started = Date.now()
  const seed = await seedDemo(service.services.registry)
  say(
    `  社区已就绪：${seed.grids.length} 个网格，${seed.households} 户，${seed.residents} 位居民（${Math.round((Date.now() - started) / 1000)} 秒）`,
  )
  const docs = await importPolicies(service)
  const [asked, ...more] = loadDemoGuide()
  say(`  政策资料：${docs} 篇`)
  if (service.bot) linkStaffContacts(service.bot, seed)
  const rooms = service.bot ? await bindDemoRooms(service.bot, seed) : []
  await seedDemoEvent(service.services.events, seed, service.services.clock.now())
  await seedDemoShop(service.services.shop, seed)
  const sim = `${service.url}/simulator`
  const first = rooms[0]
  say('')
  say('邻里 Linli 演示已启动。')
  say(`  API:       ${service.url}/api/v1`)
  say(`  API 文档:  ${service.url}/api/v1/docs`)
  const staffName = seed.communityStaff[0]?.name
  const pick = service.services.auth.devLoginEnabled
    ? `（扫码登录：在登录页「演示：模拟小程序扫码」选一位工作人员确认，如社区工作人员 ${staffName}）`
    : ''
  say(`  工作台:    ${service.url}/console/${pick}`)
  say(`  健康检查:  ${service.url}/readyz`)
  say(`  数据库:    ${service.database.safeUri}（${service.database.source}）`)
  if (service.bot?.mock && first) {
    const q = new URLSearchParams({
      room: first.id,
      topic: first.topic,
      resident: '张阿姨',
      worker: first.worker,
    })
    say(`  模拟器:    ${sim}?${q.toString()}`)
    say('')
    say('试一试：')
    say(
      `  1. 打开上面的模拟器地址。左边是「${first.topic}」（网格 ${first.grid}），右边是网格员 ${first.worker} 的私聊。`,
    )
    say('  2. 左边点「加入居民」，右边点「以此身份私聊」。')
    say('  3. 以居民身份在群里发：1号楼2单元楼道灯不亮了（勾选 @小助手）。机器人会回复工单号、处理人和时限。')
    say('  4. 右边会收到【新工单】通知。发送「接单 工单号」，再发送「办结 工单号 已更换灯泡」。')
    say(`  5. 在群里问：${asked?.q}（勾选 @小助手），机器人会按社区的政策资料回答并注明来源。`)
    const others = more.slice(0, 3).map((g) => `「${g.q}」`)
    say(`     还可以问：${others.join('')}`)
    say(
      '  其它指令：我的工单、进展 工单号 说明、转派 工单号 部门 原因、代录 1-2-301 问题描述；居民私聊可回复数字菜单。',
    )
    for (const r of rooms.slice(1))
      say(`  另一个已绑定的群：「${r.topic}」→ 网格 ${r.grid}（房间号 ${r.id}）`)
  }
  if (service.services.auth.devLoginEnabled) for (const line of devSignIn(service.url, seed)) say(line)
  say('')
  say('按 Ctrl+C 停止。')
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      void service.stop(signal).then(() => process.exit(0))
    })
  }
}

await main()
