import {
  type Channel,
  type ChannelAddress,
  ChannelError,
  type ChannelHealth,
  type ChannelMessage,
  type ChannelName,
  MESSAGE_PURPOSES,
  type MessagePurpose,
} from './channel.js'

/** What the scripted channel does with the next send. */
export type Scripted = 'ok' | 'hang' | ChannelError

export interface ScriptedChannel extends Channel {
  /** Every message it delivered, in order. */
  readonly delivered: Array<{ to: ChannelAddress; message: ChannelMessage }>
  /** How many sends were attempted (delivered, failed or hanging). */
  calls: number
  /** Scripts the next sends, one entry each; when the script is empty, `then` applies. */
  script(steps: Scripted[], then?: Scripted): void
  /** Works for `n` more sends, then goes dead: `unavailable`, health `down`. */
  deadAfter(n: number): void
  /** Comes back: works and reports `up`. */
  revive(): void
}

/**
 * A Channel whose behaviour is scripted, for tests of routing and failover: it delivers into memory,
 * fails with the ChannelError it is given, goes dead (down) mid-run, or hangs (a crash mid-send).
 */
export function createScriptedChannel(
  name: ChannelName,
  purposes: readonly MessagePurpose[] = MESSAGE_PURPOSES,
): ScriptedChannel {
  let steps: Scripted[] = []
  let then: Scripted = 'ok'
  let dead = false
  let okLeft = Number.POSITIVE_INFINITY
  let since = new Date()
  const delivered: ScriptedChannel['delivered'] = []
  const channel: ScriptedChannel = {
    name,
    purposes,
    delivered,
    calls: 0,
    script(next, after = 'ok') {
      steps = [...next]
      then = after
    },
    deadAfter(n) {
      okLeft = n
    },
    revive() {
      dead = false
      okLeft = Number.POSITIVE_INFINITY
      since = new Date()
    },
    health(): ChannelHealth {
      return dead ? { state: 'down', detail: '已掉线', since } : { state: 'up', since }
    },
    async send(to, message) {
      channel.calls++
      if (!dead && okLeft <= 0) {
        dead = true
        since = new Date()
      }
      if (dead) throw new ChannelError('unavailable', `${name} is down`)
      const step = steps.shift() ?? then
      if (step === 'hang') return new Promise<never>(() => undefined)
      if (step instanceof ChannelError) throw step
      okLeft--
      delivered.push({ to, message })
      return { providerMessageId: `${name}-${delivered.length}` }
    },
  }
  return channel
}
