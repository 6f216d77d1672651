import { DomainError } from '../lib/errors.js'
import { setLeaderboardOptOut } from '../services/points/points.leaderboard.js'
import type { PointsService } from '../services/points/points.service.js'
import { KIND_LABELS } from '../services/points/points.service.js'
import type { ShopService } from '../services/shop/shop.service.js'
import type { ChatContext, ChatMiddleware } from './composer.js'

const BALANCE_RE = /^(我的)?积分$/
const REDEEM_RE = /^兑换\s*(\S*)$/
const BOARD_RE = /^(不参加排行|参加排行)$/
const MENU_SIZE = 8

const DAY_FMT = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  month: 'numeric',
  day: 'numeric',
})

/** What the points commands call (built once in main.ts). */
export interface PointsChatServices {
  points: Pick<PointsService, 'balances' | 'statement' | 'monthOf'>
  shop: Pick<ShopService, 'listItems' | 'redeem' | 'recordMenu' | 'menuItem'>
  clock: { now(): Date }
}

/**
 * 「积分」: balances per kind, this month's movement and the shop's items, numbered (the list shown is
 * recorded, and 「兑换 3」 takes item 3 of exactly that list); 「不参加排行」/「参加排行」. Points are
 * private: in a group the answer goes to the sender alone.
 */
export function pointsHandler(services: PointsChatServices): ChatMiddleware {
  return async (ctx, next) => {
    const balance = BALANCE_RE.test(ctx.text)
    const redeem = REDEEM_RE.exec(ctx.text)
    const board = BOARD_RE.exec(ctx.text)
    if (!balance && !redeem && !board) return next()
    const say = (text: string) => ctx.reply(text, { private: ctx.isGroup })
    try {
      if (board) return await setBoard(ctx, board[1] === '不参加排行', say)
      if (redeem) return await redeemItem(ctx, services, redeem[1] ?? '', say)
      return await showPoints(ctx, services, say)
    } catch (err) {
      if (!(err instanceof DomainError) || err.code === 'INTERNAL' || err.code === 'UNAVAILABLE') throw err
      ctx.outcome += ':refused'
      await say(`抱歉，${err.message.replace(/[。！]+$/, '')}。`)
    }
  }
}

async function showPoints(ctx: ChatContext, services: PointsChatServices, say: (t: string) => Promise<void>) {
  ctx.outcome = 'points:balance'
  const me = await ctx.me()
  const month = services.points.monthOf(services.clock.now())
  const [balances, statement] = await Promise.all([
    services.points.balances(me.id),
    services.points.statement(me.id, month),
  ])
  const lines = [
    `您的积分：${KIND_LABELS.activity} ${balances.activity} 分，${KIND_LABELS.conduct} ${balances.conduct} 分。`,
    `本月（${month}）获得 ${statement.kinds.activity.earned + statement.kinds.conduct.earned} 分，兑换花费 ${
      statement.kinds.activity.spent + statement.kinds.conduct.spent
    } 分。`,
  ]
  const items = me.communityId ? (await services.shop.listItems(me.communityId)).slice(0, MENU_SIZE) : []
  await services.shop.recordMenu(
    me.id,
    items.map((i) => i.id),
    ctx.input.messageId,
  )
  if (items.length === 0) {
    lines.push('积分商城暂时还没有可兑换的商品，请留意社区通知。')
  } else {
    lines.push('积分商城：')
    for (const [n, i] of items.entries()) {
      const left = i.remaining > 0 ? `剩 ${i.remaining} 件` : '已兑完'
      const by = i.offeredBy.type === 'merchant' ? `｜${i.offeredBy.name}提供` : ''
      lines.push(`${n + 1}. ${i.title}｜${i.cost} 分（${KIND_LABELS[i.kind]}）｜${left}${by}`)
    }
    lines.push('回复「兑换 序号」即可兑换，例如「兑换 1」。')
  }
  lines.push('不想出现在网格积分排行里，回复「不参加排行」。')
  await say(lines.join('\n'))
}

async function redeemItem(
  ctx: ChatContext,
  services: PointsChatServices,
  key: string,
  say: (t: string) => Promise<void>,
) {
  ctx.outcome = 'points:redeem'
  const n = /^\d{1,2}$/.test(key) ? Number(key) : 0
  if (n < 1) return say('请回复「兑换 序号」，序号是「积分」列表里商品前面的数字，例如「兑换 1」。')
  const me = await ctx.me()
  const itemId = await services.shop.menuItem(me.id, n)
  if (!itemId) return say('没有找到这个序号的商品。请先发送「积分」看看可兑换的商品，再回复「兑换 序号」。')
  // The message id is the idempotency key: a re-delivered 「兑换 1」 redeems once.
  const r = await services.shop.redeem({
    itemId,
    personId: me.id,
    key: `chat:${ctx.input.messageId}`,
    channel: 'wechat',
  })
  const until = r.expiresAt ? `，请在 ${DAY_FMT.format(r.expiresAt)} 前` : '，请尽快'
  if (r.status !== 'open' || !r.code) return say(`您已经兑换过「${r.title}」了。`)
  await say(
    `兑换成功！「${r.title}」花费 ${r.cost} 分（${KIND_LABELS[r.kind]}）。\n取货码：${r.code}${until}凭取货码到社区或商家领取。`,
  )
}

async function setBoard(ctx: ChatContext, optOut: boolean, say: (t: string) => Promise<void>) {
  ctx.outcome = optOut ? 'points:board-off' : 'points:board-on'
  await setLeaderboardOptOut((await ctx.me()).id, optOut)
  await say(
    optOut
      ? '好的，您不会再出现在网格积分排行里。想重新参加，回复「参加排行」。'
      : '好的，您已参加网格积分排行（姓名会打码显示）。不想参加，回复「不参加排行」。',
  )
}
