import { numbersIn } from '../lib/mask.js'
import type { ChatServices, ChatSettings } from './chat-handler.js'
import { say } from './chat-texts.js'
import type { ChatMiddleware } from './composer.js'
import { runReport } from './report.flow.js'

/**
 * Danger first: a message that reports a present danger to life or property (fire, gas, someone
 * fainted, trapped in a lift, flooding …) is answered at once, addressed or not, with the safety
 * advice and emergency numbers of the community, before the case is opened and the grid that holds
 * the place named is alerted. Questions, negations and past events are not dangers (triage decides).
 */
export function emergencyHandler(services: ChatServices, settings: ChatSettings): ChatMiddleware {
  return async (ctx, next) => {
    const hazard = ctx.triaged?.hazard
    if (!hazard || ctx.triaged?.urgency !== 'urgent') return next()
    ctx.addressed = true
    ctx.outcome = `emergency:${hazard}`
    const advice = services.emergencyAdvice(hazard, ctx.binding?.communityCode)
    // The emergency numbers come from the community's configuration: public, never masked in the group.
    const text = say.emergency({ advice: advice.advice, numbers: advice.numbers })
    await ctx.reply(text, { publicNumbers: numbersIn(text) })
    await runReport(ctx, services, settings, ctx.text, { urgent: true })
    ctx.outcome = `emergency:${hazard}`
  }
}
