import { randomBytes } from 'node:crypto'
import { CommunityModel, GridModel, ResidentModel, type Role } from '../models/registry.model.js'
import type { ChatInput } from './chat-input.js'
import type { ChatFlows, ReportInput } from './flows.js'

const token = () => randomBytes(9).toString('base64url')

/** A community KH with grid KH-07, its grid worker (WeChat contact `c-wang`) and a resident `c-zhang`. */
export async function seedGridWithWorker() {
  const community = await CommunityModel.create({ code: 'KH', name: '康和社区' })
  const grid = await GridModel.create({
    code: 'KH-07',
    name: '第七网格',
    communityId: community._id,
    token: token(),
  })
  const worker = await createPerson('王芳', 'c-wang', ['grid_worker'], { staff: { gridIds: [grid._id] } })
  const resident = await createPerson('张阿姨', 'c-zhang', ['resident'], { gridId: grid._id })
  return { community, grid, worker, resident }
}

export async function createPerson(
  name: string,
  contactId: string | undefined,
  roles: Role[],
  extra: Record<string, unknown> = {},
) {
  return ResidentModel.create({
    name,
    roles,
    token: token(),
    wechat: contactId ? { contactId } : undefined,
    ...extra,
  })
}

let seq = 0
/** A plain inbound message; a group one when `room` is given. */
export function chat(text: string, over: Partial<ChatInput> = {}): ChatInput {
  seq += 1
  return {
    messageId: `m${seq}-${randomBytes(3).toString('hex')}`,
    sender: { contactId: 'c-zhang', name: '张阿姨' },
    text,
    mentionsBot: false,
    mentionIds: [],
    type: 'text',
    attachments: [],
    receivedAt: new Date(),
    ...over,
  }
}

/**
 * Small working stand-ins for the domain services that are built elsewhere (cases, knowledge base):
 * they keep what they were asked in memory so tests can see it.
 */
export function memoryFlows() {
  const reports: ReportInput[] = []
  const followUps: Array<{ caseNumber: string; text: string; attachments: number }> = []
  const ratings: Array<{ contactId: string; digit: number }> = []
  const awaitingRating = new Set<string>()
  const flows: ChatFlows = {
    async reportProblem(input) {
      const existing = reports.findIndex((r) => r.messageId === input.messageId)
      if (existing < 0) reports.push(input)
      const n = (existing < 0 ? reports.length : existing + 1).toString().padStart(4, '0')
      return { caseNumber: `GD-${n}`, handlerName: '网格员王芳', dueText: '48小时内' }
    },
    async addToCase(input) {
      followUps.push({
        caseNumber: input.caseNumber,
        text: input.text,
        attachments: input.attachments.length,
      })
    },
    async askPolicy(question) {
      if (question.includes('火星')) return { answer: '', abstained: true, citations: [] }
      return {
        answer: '60周岁以上老人可以申请高龄津贴，带身份证和户口本到社区办理。',
        abstained: false,
        citations: [{ docId: 'elderly-allowance', title: '高龄津贴发放办法' }],
      }
    },
    async myCases() {
      return reports.map((r, i) => ({
        caseNumber: `GD-${(i + 1).toString().padStart(4, '0')}`,
        title: r.text.slice(0, 10),
        statusText: '处理中',
      }))
    },
    async rate(contactId, digit) {
      if (!awaitingRating.has(contactId)) return { rated: false }
      awaitingRating.delete(contactId)
      ratings.push({ contactId, digit })
      return { rated: true, caseNumber: 'GD-0001' }
    },
  }
  return { flows, reports, followUps, ratings, awaitingRating }
}
