import { DomainError } from '../lib/errors.js'
import type { ProxyService, ProxyView } from '../services/proxies/proxy.service.js'
import { readAvailability } from '../services/volunteers/volunteer.match.js'
import type { VolunteerService } from '../services/volunteers/volunteer.service.js'
import type { ChatServices, ChatSettings } from './chat-handler.js'
import type { ChatContext, ChatMiddleware } from './composer.js'
import { politeError } from './domain-errors.js'
import { runReport } from './report.flow.js'
import { VTEXT } from './volunteers.texts.js'

/** The chat services the volunteer and proxy features need (absent: the features are off). */
export interface VolunteerChatServices {
  volunteers?: Pick<
    VolunteerService,
    'skills' | 'register' | 'offersFor' | 'getNeed' | 'accept' | 'checkIn' | 'complete' | 'rate'
  >
  proxies?: Pick<ProxyService, 'listForPerson' | 'findByAddress'>
}

const WANT_RE = /^(我要当志愿者|我想当志愿者|当志愿者|志愿者报名|报名志愿者)$/
const REGISTER_RE = /^志愿者[\s:：]+(?:技能[\s:：]*)?(.+)$/
const OFFERS_RE = /^(志愿需求|志愿服务)$/
const ACT_RE = /^(接单|签到|完成|评价)\s*(V\d{4})(?:\s*(.*))?$/i
const PROXY_RE =
  /^代\s*(\d{1,3})\s*(?:号楼|栋|幢|-)\s*(?:(\d{1,2})\s*(?:单元|-))?\s*(\d{3,4})\s*室?\s*(?:报修|报事|求助|反映)?\s*[:：,，]?\s*(.*)$/s
const FAMILY_RE =
  /^帮(?:我|俺)?(妈|妈妈|爸|爸爸|母亲|父亲|奶奶|爷爷|外婆|外公|姥姥|姥爷|婆婆|公公|家里老人|老人)(?:报修|报事|求助|反映)\s*[:：,，]?\s*(.+)$/s

/** 「代 3号楼2单元301 收到」「帮我妈确认收到」: the proxy acknowledges the latest notice for the household. */
const ACK_WORDS_RE = /^(?:确认)?(?:收到|已收到|收到了|回执|确认)[!！。.~～]*$/
const FAMILY_ACK_RE =
  /^帮(?:我|俺)?(妈|妈妈|爸|爸爸|母亲|父亲|奶奶|爷爷|外婆|外公|姥姥|姥爷|婆婆|公公|家里老人|老人)\s*((?:确认)?收到|回执)\s*$/

const WHEN = (a: { days: number[]; from: string; to: string }) => {
  const names = ['', '一', '二', '三', '四', '五', '六', '日']
  const days =
    a.days.length === 7
      ? '每天'
      : a.days.join() === '1,2,3,4,5'
        ? '工作日'
        : a.days.join() === '6,7'
          ? '周末'
          : a.days.map((d) => `周${names[d]}`).join('、')
  return `${days} ${a.from}–${a.to}`
}

/**
 * Volunteers in chat (我要当志愿者, 志愿者 技能…, 志愿需求, 接单/签到/完成/评价 V1234) and proxies
 * (代 3号楼2单元301 报修…, 帮我妈报修…). A refused act gets a polite sentence, never a case.
 */
export function volunteersHandler(
  services: ChatServices & VolunteerChatServices,
  settings: ChatSettings,
): ChatMiddleware {
  return async (ctx, next) => {
    const { volunteers, proxies } = services
    const text = ctx.text
    const proxied = PROXY_RE.exec(text)
    const family = FAMILY_RE.exec(text) ?? familyAck(text)
    const act = ACT_RE.exec(text)
    const isVolunteer = WANT_RE.test(text) || REGISTER_RE.test(text) || OFFERS_RE.test(text) || act
    if (!(volunteers && isVolunteer) && !(proxies && (proxied || family))) return next()
    try {
      if (proxies && (proxied || family))
        return await reportAsProxy(ctx, services, settings, proxies, {
          address: proxied ?? undefined,
          family: family ?? undefined,
        })
      if (!volunteers) return next()
      if (WANT_RE.test(text)) {
        ctx.outcome = 'volunteer:guide'
        return await ctx.reply(VTEXT.guide(volunteers.skills))
      }
      if (OFFERS_RE.test(text)) return await listOffers(ctx, volunteers)
      if (act) return await actOn(ctx, volunteers, act)
      return await register(ctx, volunteers, REGISTER_RE.exec(text)?.[1] ?? '')
    } catch (err) {
      const sentence =
        err instanceof DomainError && err.code === 'FORBIDDEN' ? VTEXT.refused(err.message) : politeError(err)
      if (!sentence) throw err
      ctx.outcome += ':refused'
      await ctx.reply(sentence)
    }
  }
}

async function register(
  ctx: ChatContext,
  volunteers: NonNullable<VolunteerChatServices['volunteers']>,
  rest: string,
) {
  ctx.outcome = 'volunteer:register'
  const words = rest.split(/[\s,，、]+/).filter(Boolean)
  const skills = words.filter((w) => volunteers.skills.includes(w))
  if (skills.length === 0) return ctx.reply(VTEXT.noSkill(volunteers.skills))
  const availability = readAvailability(words)
  const me = await ctx.me()
  const profile = await volunteers.register(
    me.id,
    { skills, ...(availability ? { availability } : {}) },
    { channel: 'wechat' },
  )
  await ctx.reply(VTEXT.registered({ skills: profile.skills, when: WHEN(profile.availability) }), {
    private: true,
  })
}

async function listOffers(ctx: ChatContext, volunteers: NonNullable<VolunteerChatServices['volunteers']>) {
  ctx.outcome = 'volunteer:offers'
  const needs = await volunteers.offersFor((await ctx.me()).id)
  if (needs.length === 0) return ctx.reply(VTEXT.noOffers)
  await ctx.reply(VTEXT.offers(needs.map((n) => `${n.code} ${n.skill}：${n.description}`)), { private: true })
}

async function actOn(
  ctx: ChatContext,
  volunteers: NonNullable<VolunteerChatServices['volunteers']>,
  m: RegExpExecArray,
): Promise<void> {
  const [, verb, rawCode, rest = ''] = m
  const code = (rawCode ?? '').toUpperCase()
  const me = await ctx.me()
  if (verb === '接单') {
    ctx.outcome = 'volunteer:accept'
    const a = await volunteers.accept(code, me.id, { channel: 'wechat' })
    const need = await volunteers.getNeed(code)
    return ctx.reply(VTEXT.accepted({ code, skill: need.skill, already: a.already }))
  }
  if (verb === '签到') {
    ctx.outcome = 'volunteer:checkin'
    await volunteers.checkIn(code, me.id)
    return ctx.reply(VTEXT.checkedIn(code))
  }
  if (verb === '完成') {
    ctx.outcome = 'volunteer:done'
    const hours = Number(/(\d+(?:\.\d+)?)/.exec(rest)?.[1] ?? Number.NaN)
    if (!Number.isFinite(hours) || hours <= 0) return ctx.reply(VTEXT.doneUsage(code))
    const done = await volunteers.complete(code, me.id, hours)
    return ctx.reply(VTEXT.done({ code, hours: done.hours ?? hours, points: done.pointsCredited }))
  }
  ctx.outcome = 'volunteer:rate'
  const score = Number(/^([1-5])/.exec(rest.trim())?.[1] ?? Number.NaN)
  if (!Number.isInteger(score)) return ctx.reply(`请回复「评价 ${code} 5」，打 1 到 5 分。`)
  await volunteers.rate(code, me.id, score, rest.trim().slice(1).trim())
  await ctx.reply(VTEXT.rated({ code, score }))
}

/** 「帮我妈确认收到」 read as the family form with 收到 as its text. */
function familyAck(text: string): RegExpExecArray | null {
  const m = FAMILY_ACK_RE.exec(text)
  if (!m) return null
  m[2] = '收到'
  return m
}

async function acknowledgeAsProxy(
  ctx: ChatContext,
  services: ChatServices,
  link: ProxyView,
  personId: string,
): Promise<void> {
  ctx.outcome = 'proxy:ack'
  const ack = await services.notices.acknowledgeLatestForHousehold(link.householdId, personId, 'wechat')
  const address = link.address
  if (!ack) return ctx.reply(VTEXT.proxyNoAck(address))
  await ctx.reply(VTEXT.proxyAcked({ title: ack.title, address, recorded: ack.recorded }))
}

/**
 * A proxy's report: 「代 3号楼2单元301 报修 …」 names the household (refused unless linked to it);
 * 「帮我妈报修 …」 takes the one household the sender acts for, or the one whose label fits.
 */
async function reportAsProxy(
  ctx: ChatContext,
  services: ChatServices,
  settings: ChatSettings,
  proxies: NonNullable<VolunteerChatServices['proxies']>,
  m: { address?: RegExpExecArray; family?: RegExpExecArray },
): Promise<void> {
  ctx.outcome = 'proxy:report'
  const me = await ctx.me()
  const what = (m.address?.[4] ?? m.family?.[2] ?? '').trim()
  let link: ProxyView | undefined
  if (m.address) {
    const [, building = '', unit = '', room = ''] = m.address
    link = await proxies.findByAddress(me.id, { building, unit, room })
  } else {
    const who = m.family?.[1] ?? ''
    const links = await proxies.listForPerson(me.id)
    if (links.length === 0) {
      ctx.outcome = 'proxy:refused'
      return ctx.reply(VTEXT.proxyNone)
    }
    const labelled = links.filter(
      (l: ProxyView) => l.label !== '' && who.includes(l.label.replace(/^我/, '')),
    )
    link = links.length === 1 ? links[0] : labelled.length === 1 ? labelled[0] : undefined
    if (!link) {
      ctx.outcome = 'proxy:choose'
      return ctx.reply(VTEXT.proxyChoose(links.map((l) => l.address)))
    }
  }
  if (ACK_WORDS_RE.test(what)) return acknowledgeAsProxy(ctx, services, link, me.id)
  if (what.length < 2) return ctx.reply(VTEXT.proxyUsage)
  await runReport(ctx, services, settings, what, { proxyFor: link.householdId })
}
