import { describe, expect, it } from 'vitest'
import { ConflictError, ForbiddenError, NotFoundError } from '../lib/errors.js'
import { politeError } from './domain-errors.js'

describe('politeError: one table from DomainError codes to chat sentences', () => {
  it('names the case for a refusal and keeps the service message otherwise', () => {
    expect(politeError(new ForbiddenError('x'), '261128-0001')).toContain('工单 261128-0001 不是派给您的')
    expect(politeError(new NotFoundError('工单 261128-0009'))).toBe(
      '工单 261128-0009 不存在，请核对后再发一次。',
    )
    expect(politeError(new ConflictError('您已经评价过工单 261128-0001，谢谢！'))).toBe(
      '您已经评价过工单 261128-0001，谢谢。',
    )
  })
  it('tells a worker who holds the case when the service says so', () => {
    const err = new ForbiddenError('工单 261128-0001 由网格员 王芳负责', { holder: '网格员 王芳' })
    expect(politeError(err, '261128-0001')).toBe(
      '抱歉，工单 261128-0001 由网格员 王芳负责，您暂时不能办理。如需协助请联系网格员 王芳或社区。',
    )
  })
  it('leaves unknown failures to the apology', () => {
    expect(politeError(new Error('boom'))).toBeUndefined()
  })
})
