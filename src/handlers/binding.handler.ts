import { DomainError } from '../lib/errors.js'
import type { RoomBindings } from '../services/rooms/room-binding.service.js'
import { say, TEXT } from './chat-texts.js'
import type { ChatMiddleware } from './composer.js'

const BIND_RE = /^绑定(网格|社区)\s*([A-Za-z0-9][A-Za-z0-9_-]*)$/
const UNBIND_RE = /^(解绑|解除绑定)(群聊)?$/

/** `绑定网格 KH-07`, `绑定社区 KH`, `解绑` in a group, by staff; anyone else gets a polite refusal. */
export function bindingHandler(rooms: RoomBindings): ChatMiddleware {
  return async (ctx, next) => {
    const room = ctx.input.room
    const bind = BIND_RE.exec(ctx.text)
    const unbind = UNBIND_RE.test(ctx.text)
    if (!room || (!bind && !unbind)) return next()
    ctx.outcome = bind ? 'bind' : 'unbind'
    try {
      if (bind) {
        const scope = bind[1] === '网格' ? 'grid' : 'community'
        const b = await rooms.bind({
          roomId: room.id,
          topic: room.topic,
          target: { scope, code: bind[2] ?? '' },
          byContactId: ctx.input.sender.contactId,
        })
        const where = b.scope === 'grid' ? `网格 ${b.gridCode}` : `社区 ${b.communityCode}`
        await ctx.reply(say.bound({ where }))
        return
      }
      const removed = await rooms.unbind({ roomId: room.id, byContactId: ctx.input.sender.contactId })
      await ctx.reply(removed ? TEXT.unbindDone : TEXT.unbindNone)
    } catch (err) {
      if (!(err instanceof DomainError)) throw err
      ctx.outcome = `${ctx.outcome}:refused`
      await ctx.reply(
        err.code === 'FORBIDDEN' ? refusal(err.message) : say.checkCode({ message: err.message }),
      )
    }
  }
}

function refusal(message: string): string {
  return message.startsWith('只有') ? TEXT.notStaffBind : say.refusedWithReason({ message })
}
