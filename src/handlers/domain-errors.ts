import { DomainError, type ErrorCode } from '../lib/errors.js'

/**
 * The one table that turns a service's DomainError into a polite chat sentence. `{n}` is the case
 * number the command was about, `{m}` the service's own (Chinese) message.
 */
const POLITE: Partial<Record<ErrorCode, string>> = {
  FORBIDDEN: '抱歉，工单 {n} 不是派给您的，只有负责的网格员或社区工作人员可以办理。如需协助请联系社区。',
  NOT_FOUND: '{m}，请核对后再发一次。',
  ILLEGAL_TRANSITION: '工单 {n} 现在不能这样操作：{m}。发送「我的工单」可以查看当前状态。',
  CONFLICT: '{m}。',
  INVALID_INPUT: '{m}，请补充后再发一次。',
  UNPROCESSABLE: '{m}，请补充后再发一次。',
  RATE_LIMITED: '操作太频繁了，请稍等一会儿再试。',
  UNAVAILABLE: '系统正忙，请稍后再试。',
}

/** A refusal that names who holds the case (the service says so in `details.holder`). */
const FORBIDDEN_WITH_HOLDER = '抱歉，工单 {n} 由{h}负责，您暂时不能办理。如需协助请联系{h}或社区。'

/** A polite sentence for a known DomainError, or undefined (the chat handler's apology takes over). */
export function politeError(err: unknown, caseNumber = ''): string | undefined {
  if (!(err instanceof DomainError)) return undefined
  const holder = (err.details as { holder?: unknown } | undefined)?.holder
  if (err.code === 'FORBIDDEN' && typeof holder === 'string' && holder !== '')
    return FORBIDDEN_WITH_HOLDER.replace('{n}', caseNumber).replaceAll('{h}', holder)
  const template = POLITE[err.code]
  if (!template) return undefined
  const m = err.message.replace(/[。.！!]+$/, '')
  return template.replace('{n}', caseNumber).replace('{m}', m).replace('工单 ，', '工单，')
}
