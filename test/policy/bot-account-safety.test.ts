import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * Account safety (docs/channels.md): the group bot never adds friends or invites in bulk — WeChat
 * limits and bans accounts that do, and a government service must not act as a 群控 tool. Linli's
 * code therefore calls no Wechaty API that sends friend requests, accepts them automatically,
 * creates groups or invites people into them.
 */
const FORBIDDEN: Array<[RegExp, string]> = [
  [/\bFriendship\s*\.\s*(add|search)\s*\(/, 'sends friend requests'],
  [/\.on\(\s*['"]friendship['"]/, 'reacts to friend requests (auto-accept)'],
  [/\.accept\s*\(\s*\)/, 'accepts friend requests'],
  [/\bRoom\s*\.\s*create\s*\(/, 'creates groups'],
  [/\broom\s*\.\s*(add|addMember|invite)\s*\(/i, 'invites people into groups'],
]

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) return sources(p)
    return /\.(ts|vue|mjs|js)$/.test(e.name) && !/\.test\.ts$|test-helper\.ts$/.test(e.name) ? [p] : []
  })
}

function violations(text: string): string[] {
  return FORBIDDEN.filter(([re]) => re.test(text)).map(([, what]) => what)
}

describe('the group bot never adds friends or invites in bulk', () => {
  it('finds no friend-request, auto-accept, group-create or invite call in the code', () => {
    const found = sources(path.resolve('src')).flatMap((file) =>
      violations(readFileSync(file, 'utf8')).map((what) => `${path.relative('.', file)}: ${what}`),
    )
    expect(found).toEqual([])
  })

  it('recognises such calls when they appear', () => {
    expect(violations("await bot.Friendship.add(contact, '你好')")).toEqual(['sends friend requests'])
    expect(violations("bot.on('friendship', (f) => f.accept())")).toHaveLength(2)
    expect(violations('const room = await wechaty.Room.create([a, b])')).toEqual(['creates groups'])
    expect(violations('await room.add(contact)')).toEqual(['invites people into groups'])
  })
})
