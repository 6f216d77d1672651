import type { Clock } from '../lib/clock.js'
import { createConversations } from '../services/conversations/conversation.service.js'
import type { ChatMiddleware } from './composer.js'
import type { ChatFlows } from './flows.js'
import { createLiveFlows } from './flows.live.js'
import type { LiveServices } from './live-services.js'
import { residentExtras } from './resident-extras.js'
import { workerCommands } from './worker-commands.js'

export type { LiveServices } from './live-services.js'

/**
 * Everything `startBotRuntime` needs to talk to the real services: the resident flows and the extra
 * handlers (grid workers' inbox, event sign-up, notice acknowledgement), built from `buildServices`.
 */
export function createLiveChat(
  services: LiveServices,
  deps: { clock: Clock },
): {
  flows: ChatFlows
  extra: ChatMiddleware[]
} {
  const conversations = createConversations({ clock: deps.clock })
  return {
    flows: createLiveFlows(services, { clock: deps.clock, conversations }),
    extra: [workerCommands(services, deps), residentExtras(services, conversations)],
  }
}
