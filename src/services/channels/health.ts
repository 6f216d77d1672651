import {
  type ChannelAddress,
  ChannelError,
  type ChannelErrorKind,
  type ChannelHealth,
  type ChannelMessage,
  type ChannelName,
  type MessagePurpose,
} from './channel.js'

/** What a failure kind says about the channel: auth → down, the others listed → degraded. */
export type HealthDetails = Partial<Record<ChannelErrorKind, string>>

/** A channel's health as this process last saw it; `since` moves only when the state or detail changes. */
export class HealthTracker {
  private state: ChannelHealth

  constructor(private readonly now: () => number = Date.now) {
    this.state = { state: 'up', since: new Date(now()) }
  }

  get(): ChannelHealth {
    return this.state
  }

  mark(state: ChannelHealth['state'], detail?: string): void {
    if (this.state.state !== state || this.state.detail !== detail) {
      this.state = { state, ...(detail ? { detail } : {}), since: new Date(this.now()) }
    }
  }

  /** Notes a failed send: the kinds named in `details` change the state (auth: down; others: degraded). */
  failed(err: unknown, details: HealthDetails): void {
    if (!(err instanceof ChannelError)) return
    const detail = details[err.kind]
    if (detail) this.mark(err.kind === 'auth' ? 'down' : 'degraded', detail)
  }
}

/** Base of a channel: reports the health its tracker saw, and refuses foreign addresses and purposes. */
export abstract class TrackedChannel {
  abstract readonly name: ChannelName
  abstract readonly purposes: readonly MessagePurpose[]
  protected readonly tracker: HealthTracker

  constructor(now: () => number = Date.now) {
    this.tracker = new HealthTracker(now)
  }

  health(): ChannelHealth {
    return this.tracker.get()
  }

  /** `label` names the channel in Chinese (短信, 订阅消息) for the error sentences. */
  protected admit(to: ChannelAddress, message: ChannelMessage, label: string): void {
    if (to.channel !== this.name) throw new ChannelError('recipient', `这个地址不能用${label}送达`)
    if (!this.purposes.includes(message.purpose)) {
      throw new ChannelError('rejected', `${label}不用于这类消息（${message.purpose}）`)
    }
  }
}
