import type { Command } from './command.js'

/** `linli db`: starts (or finds) the database and says which one is in use. */
export const dbCommand: Command = {
  name: 'db',
  usage: 'db',
  summary: 'show which database Linli uses (starting the embedded one if needed)',
  async run(ctx) {
    const db = await ctx.database()
    await db.ping()
    ctx.out(JSON.stringify({ uri: db.safeUri, source: db.source, dataDir: db.dataDir ?? null }))
    return 0
  },
}
