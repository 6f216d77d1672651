import { DomainError } from '../lib/errors.js'
import { setLeaderboardOptOut } from '../services/points/points.leaderboard.js'
import type { PointsService } from '../services/points/points.service.js'
import { KIND_LABELS } from '../services/points/points.service.js'
import type { ShopService } from '../services/shop/shop.service.js'
import { POINTS_TEXT as T } from './chat-texts.js'
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
      await say(T.refused({ reason: err.message.replace(/[。！]+$/, '') }))
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
  const sum = (f: 'earned' | 'spent') => statement.kinds.activity[f] + statement.kinds.conduct[f]
  const lines: string[] = [
    T.balances(balances),
    T.thisMonth({ month, earned: sum('earned'), spent: sum('spent') }),
  ]
  // A newcomer not yet registered in a household still belongs to the community of the bound group.
  const communityId = me.communityId ?? ctx.binding?.communityId
  const items = communityId ? (await services.shop.listItems(communityId)).slice(0, MENU_SIZE) : []
  await services.shop.recordMenu(
    me.id,
    items.map((i) => i.id),
    ctx.input.messageId,
  )
  if (!communityId) lines.push(T.shopNeedsCommunity)
  else if (items.length === 0) lines.push(T.emptyShop)
  else {
    lines.push(T.shopTitle)
    for (const [n, i] of items.entries()) {
      const merchant = i.offeredBy.type === 'merchant' ? i.offeredBy.name : undefined
      lines.push(
        T.shopLine({
          n: n + 1,
          title: i.title,
          cost: i.cost,
          kind: KIND_LABELS[i.kind],
          left: i.remaining,
          merchant,
        }),
      )
    }
    lines.push(T.howToRedeem)
  }
  lines.push(T.howToOptOut)
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
  if (n < 1) return say(T.redeemHow)
  const me = await ctx.me()
  const itemId = await services.shop.menuItem(me.id, n)
  if (!itemId) return say(T.redeemNoItem)
  // The message id is the idempotency key: a re-delivered 「兑换 1」 redeems once.
  const r = await services.shop.redeem({
    itemId,
    personId: me.id,
    key: `chat:${ctx.input.messageId}`,
    channel: 'wechat',
  })
  if (r.status !== 'open' || !r.code) return say(T.alreadyRedeemed(r))
  const until = r.expiresAt ? DAY_FMT.format(r.expiresAt) : undefined
  await say(T.redeemed({ title: r.title, cost: r.cost, kind: KIND_LABELS[r.kind], code: r.code, until }))
}

async function setBoard(ctx: ChatContext, optOut: boolean, say: (t: string) => Promise<void>) {
  ctx.outcome = optOut ? 'points:board-off' : 'points:board-on'
  await setLeaderboardOptOut((await ctx.me()).id, optOut)
  await say(optOut ? T.boardOff : T.boardOn)
}
