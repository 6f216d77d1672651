import type { CaseActor, CaseService, CaseView } from '../services/cases/case.service.js'
import { handlerNameOf as caseHandlerNameOf, dueTextOf } from '../services/cases/case.texts.js'
import type { EventService } from '../services/events/event.service.js'
import type { KbService } from '../services/kb/kb.service.js'
import { withLock } from '../services/locks/lock.service.js'
import type { NoticeService } from '../services/notices/notice.service.js'
import type { RegistryService } from '../services/registry/registry.service.js'
import type { ResidentView } from '../services/registry/registry.views.js'

/** The domain services the chat flows and the grid workers' inbox call (built once in main.ts). */
export interface LiveServices {
  cases: CaseService
  kb: Pick<KbService, 'ask'>
  events: Pick<EventService, 'listForPerson' | 'signUp' | 'cancelSignup' | 'setReminders'>
  notices: Pick<NoticeService, 'acknowledgeLatest'>
  registry: Pick<
    RegistryService,
    | 'findResidentByWechatContact'
    | 'createResident'
    | 'getResident'
    | 'getGridByCode'
    | 'getGrid'
    | 'getDepartmentByCode'
    | 'listDepartmentsForCategory'
    | 'findHouseholdByAddress'
  >
}

/**
 * The person behind a WeChat contact; an unknown contact becomes a minimal resident record linked
 * to it (one per contact: the lock makes two first messages at once create one record).
 */
export async function personOfContact(
  registry: LiveServices['registry'],
  contact: { contactId: string; name: string },
  /** Where a new record belongs: the community and grid of the group the contact first wrote in. */
  home: { communityId?: string; gridId?: string } = {},
): Promise<ResidentView> {
  const known = await registry.findResidentByWechatContact(contact.contactId)
  if (known) return known
  return withLock(`contact-person:${contact.contactId}`, async () => {
    // Whoever created the record meanwhile held this lock and recorded the contact's key.
    const again = await registry.findResidentByWechatContact(contact.contactId, { keyOnly: true })
    if (again) return again
    return registry.createResident({
      name: contact.name.trim().slice(0, 30) || '微信用户',
      roles: ['resident'],
      ...(home.communityId ? { communityId: home.communityId, gridId: home.gridId } : {}),
      wechat: { contactId: contact.contactId, nickname: contact.name.slice(0, 30) },
    })
  })
}

/** The person as an actor on cases (the bot acts for them, never with more rights). */
export function actorOf(p: ResidentView): CaseActor {
  return {
    personId: p.id,
    roles: p.roles,
    communityIds: p.staff.communityIds,
    gridIds: p.staff.gridIds,
    departmentId: p.staff.departmentId,
  }
}

/**
 * Who handles a case, as residents may read it in a group. Kept for the chat code that passes the
 * registry; the logic lives in the case service (`handlerNameOf` in services/cases/case.texts).
 */
export function handlerNameOf(_registry: LiveServices['registry'], c: CaseView): Promise<string> {
  return caseHandlerNameOf(c)
}

/** A deadline as residents say it; moved to services/cases/case.texts. */
export { dueTextOf }
