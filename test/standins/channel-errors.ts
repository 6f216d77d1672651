import { expect } from 'vitest'
import { ChannelError } from '../../src/services/channels/channel.js'

/** Awaits a send that must fail, and returns its ChannelError (the test fails if it resolves). */
export async function channelFailure(p: Promise<unknown>): Promise<ChannelError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(ChannelError)
  return e as ChannelError
}
