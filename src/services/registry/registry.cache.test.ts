import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { TEXT } from '../../handlers/chat-texts.js'
import { chat, createPerson, useBoundChat } from '../../handlers/handler-fixtures.test-helper.js'
import { CaseModel } from '../../models/case.model.js'

const run = promisify(execFile)

/** Changes a person in another process (a second service instance), through the project's models. */
async function changeElsewhere(uri: string, personId: unknown, change: 'off-duty' | 'no-roles') {
  const tsx = path.resolve('node_modules', '.bin', 'tsx')
  await run(tsx, [path.resolve('test', 'registry-writer.ts'), uri, String(personId), change], {
    timeout: 60_000,
  })
}

describe('registry views cached between messages', () => {
  const db = useTestDatabase()
  const chatWorld = useBoundChat('cache@chatroom')
  const { room, handle } = chatWorld

  const report = async (text: string) => {
    const out = await handle(chat(`@邻里小助手\u2005${text}`, { room, mentionsBot: true }))
    expect(out.outcome).toBe('report')
    const number = /\d{6}-\d{4}/.exec(out.replies[0]?.text ?? '')?.[0]
    return { out, doc: await CaseModel.findOne({ number }).lean() }
  }

  it('does not give a case to a worker another process set off duty since the last message', async () => {
    const staff = await createPerson('赵主任', 'c-zhao', ['community_staff'], {
      staff: { communityIds: [chatWorld.people.community._id] },
    })
    const first = await report('3号楼楼道灯坏了')
    expect(String(first.doc?.assigneeId)).toBe(String(chatWorld.people.worker._id))
    await changeElsewhere(db.uri(), chatWorld.people.worker._id, 'off-duty')
    const second = await report('5号楼门口的下水道堵了')
    expect(String(second.doc?.assigneeId)).toBe(String(staff._id))
    expect(second.out.replies[0]?.text).not.toContain('王芳')
  }, 90_000)

  it('refuses a staff command of a worker whose role another process withdrew', async () => {
    const wang = { contactId: 'c-wang', name: '王芳' }
    const other = { id: 'cache-2@chatroom', topic: '康和7号楼邻居群' }
    const ok = await handle(chat('绑定网格 KH-07', { room: other, sender: wang }))
    expect(ok.replies[0]?.text).toContain('网格 KH-07')
    await changeElsewhere(db.uri(), chatWorld.people.worker._id, 'no-roles')
    const refused = await handle(
      chat('绑定网格 KH-07', { room: { id: 'cache-3@chatroom', topic: '新群' }, sender: wang }),
    )
    expect(refused.replies[0]?.text).toBe(TEXT.notStaffBind)
  }, 90_000)
})
