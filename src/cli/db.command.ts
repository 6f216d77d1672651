import type { Command } from './command.js'

/** `linli db`: starts (or finds) the database and says which one is in use. */
export const dbCommand: Command = {
  name: 'db',
  usage: ['db'],
  summary: '查看 Linli 使用的数据库（需要时启动内置数据库）',
  async run(ctx) {
    const db = await ctx.database()
    await db.ping()
    ctx.out(JSON.stringify({ uri: db.safeUri, source: db.source, dataDir: db.dataDir ?? null }))
    return 0
  },
}
