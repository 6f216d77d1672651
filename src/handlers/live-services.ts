import type { CaseActor, CaseService, CaseView } from '../services/cases/case.service.js'
import { handlerNameOf as caseHandlerNameOf, dueTextOf } from '../services/cases/case.texts.js'
import type { EventService } from '../services/events/event.service.js'
import type { KbService } from '../services/kb/kb.service.js'
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
    | 'personOfContact'
  >
}

/**
 * The person behind a WeChat contact (see `registry.personOfContact`, where this now lives); kept for
 * the chat code that still calls it this way.
 */
export async function personOfContact(
  registry: Pick<RegistryService, 'personOfContact'>,
  contact: { contactId: string; name: string },
  home: { communityId?: string; gridId?: string } = {},
): Promise<ResidentView> {
  return registry.personOfContact(contact, home)
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
