import { createHash } from 'node:crypto'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import { InvalidInputError, NotFoundError } from '../../lib/errors.js'
import { maskText } from '../../lib/mask.js'
import { type CaseDoc, CaseModel, OPEN_CASE_STATUSES } from '../../models/case.model.js'
import { CommunityModel, DepartmentModel } from '../../models/registry.model.js'
import type { OpenCaseInput } from '../cases/case.intake.js'
import { STATUS_LABELS } from '../cases/case.lifecycle.js'
import type { CaseService } from '../cases/case.service.js'
import { findPlace } from '../registry/registry.places.js'
import type { CategoryRule, ResponsibilityList } from '../responsibility/responsibility.config.js'

/** A GeoReport v2 service: one category of the responsibility list. */
export interface Open311Service {
  service_code: string
  service_name: string
  description: string
  metadata: false
  type: 'realtime'
  keywords: string
  group: string
}

/** A GeoReport v2 service request: one case, without personal data. */
export interface Open311Request {
  service_request_id: string
  status: 'open' | 'closed'
  status_notes: string
  service_name: string
  service_code: string
  description: string
  agency_responsible: string
  service_notice: string
  requested_datetime: string
  updated_datetime: string
  expected_datetime: string | null
  address: string
  address_id: string | null
  zipcode: null
  /** WGS-84, when the request came with a point (GeoReport's datum). */
  lat: number | null
  long: number | null
  media_url: null
}

const DateTime = z.iso.datetime({ offset: true, error: '日期须为 ISO 8601 格式（W3C）' })

/** GeoReport `GET requests.json` filters. */
export const RequestsQuery = z
  .object({
    service_request_id: z
      .string()
      .regex(/^\d{6}-\d{4,}(,\d{6}-\d{4,})*$/, '工单编号格式不正确')
      .optional(),
    service_code: z
      .string()
      .regex(/^[a-z_]+(,[a-z_]+)*$/, '服务代码格式不正确')
      .optional(),
    start_date: DateTime.optional(),
    end_date: DateTime.optional(),
    status: z.enum(['open', 'closed']).optional(),
    api_key: z.string().max(200).optional(),
    jurisdiction_id: z.string().max(100).optional(),
  })
  .strict()
export type RequestsQuery = z.infer<typeof RequestsQuery>

/** GeoReport `POST requests.json` (form or JSON). Reporter contact fields are accepted and not kept. */
export const CreateRequestInput = z.object({
  api_key: z.string().max(200).optional(),
  service_code: z.string().regex(/^[a-z_]+$/, '服务代码格式不正确'),
  description: z.string().trim().min(2, '请填写问题描述').max(2000),
  address_string: z.string().trim().max(200).optional(),
  /**
   * A grid code (e.g. KH-01): the case goes to that grid. Without it the building named in the
   * description decides when the community is known, else the intake desk (受理窗口) takes it.
   */
  address_id: z.string().trim().max(40).optional(),
  lat: z.coerce.number().min(-90).max(90).optional(),
  long: z.coerce.number().min(-180).max(180).optional(),
  email: z.string().max(200).optional(),
  device_id: z.string().max(200).optional(),
  account_id: z.string().max(200).optional(),
  first_name: z.string().max(100).optional(),
  last_name: z.string().max(100).optional(),
  phone: z.string().max(40).optional(),
  media_url: z.string().max(2000).optional(),
})
export type CreateRequestInput = z.infer<typeof CreateRequestInput>

const LEVEL_GROUP = { grid: '网格处理', community: '社区处理', department: '部门处理' } as const
const MAX_REQUESTS = 1000
const DEFAULT_SPAN_MS = 90 * 86_400_000

/** What each service covers, for the public (the triage keyword lists stay internal). */
const SERVICE_DESCRIPTIONS: Record<string, string> = {
  facility_repair: '楼道灯、门禁、电梯、井盖、路灯等公共设施损坏报修',
  sanitation: '垃圾清运不及时、楼道和道路不洁等环境卫生问题',
  parking_traffic: '乱停车、占用消防通道、小区内交通秩序问题',
  noise: '装修、商铺、夜间活动等噪音扰民',
  safety_hazard: '燃气、消防、高空坠物、电线私拉等安全隐患',
  heating_utilities: '暖气不热、停水停电等供暖供水供电问题，转相关公司处理',
  property_service: '物业服务质量、收费和维修响应等问题',
  neighbor_dispute: '邻里之间的纠纷和矛盾，由网格员协调',
  social_assistance: '低保、困难救助、养老助残等民政事项',
  greening_pets: '绿化养护、毁绿种菜、宠物扰民等问题',
  illegal_occupation: '私搭乱建、占道经营、侵占公共空间，转执法部门处理',
  policy_consult: '社区政策、办事流程的咨询',
  other: '其他社区事务',
}

function toService(rule: CategoryRule): Open311Service {
  return {
    service_code: rule.code,
    service_name: rule.name,
    description: SERVICE_DESCRIPTIONS[rule.code] ?? rule.name,
    metadata: false,
    type: 'realtime',
    keywords: '',
    group: LEVEL_GROUP[rule.level],
  }
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null)

/** The description for the public: personal numbers masked and the room number taken out (it names a household). */
export function publicText(text: string, room?: string | null): string {
  let out = maskText(text).replace(/(单元|楼)\s*\d{3,4}(室|号房|房)?/g, '$1***')
  if (room) out = out.split(room).join('***')
  return out
}

const NO_PLACE =
  '无法确定问题位置：请提供服务范围内的 lat/long（WGS-84），或 address_id（网格编号），或写明社区名称的 address_string'

/**
 * Where a request is, in the case intake's terms: the grid named by `address_id`; else the building
 * or grid at `lat`/`long` (WGS-84); else the community named in `address_string` (the building in it
 * then picks the grid). Nothing usable: refused, rather than a case nobody owns.
 */
async function placeOf(input: CreateRequestInput): Promise<Pick<OpenCaseInput, 'location' | 'hint'>> {
  if ((input.lat === undefined) !== (input.long === undefined))
    throw new InvalidInputError('lat 和 long 须同时提供')
  const point =
    input.lat !== undefined && input.long !== undefined ? { lng: input.long, lat: input.lat } : undefined
  if (input.address_id) return { location: { gridCode: input.address_id, ...point } }
  const hit = point ? await findPlace(point) : undefined
  if (hit && point) return { location: { gridId: String(hit.gridId), building: hit.building, ...point } }
  const community = input.address_string ? await communityNamedIn(input.address_string) : undefined
  if (community) return { location: { ...point }, hint: { communityId: String(community) } }
  throw new InvalidInputError(point ? `坐标不在服务范围内。${NO_PLACE}` : NO_PLACE)
}

/** The community whose name (or code) the address names; the longest name wins. A city has tens of them. */
async function communityNamedIn(address: string) {
  const all = await CommunityModel.find({}, { code: 1, name: 1 }).lean()
  const upper = address.toUpperCase()
  const named = all
    .filter((c) => address.includes(c.name) || upper.includes(c.code.toUpperCase()))
    .sort((a, b) => b.name.length - a.name.length)
  return named[0]?._id
}

/**
 * The Open311 GeoReport v2 facade over the case service: categories as services, cases as requests.
 * A district platform reads requests (no personal data) and files new ones through `cases.open`.
 */
export function createOpen311Service(deps: {
  cases: Pick<CaseService, 'open'>
  list: ResponsibilityList
  clock: Clock
}) {
  const rules = Object.values(deps.list.categories) as CategoryRule[]

  async function names(docs: CaseDoc[]) {
    const ids = (pick: (c: CaseDoc) => unknown[]) => [
      ...new Set(docs.flatMap(pick).filter(Boolean).map(String)),
    ]
    const [communities, departments] = await Promise.all([
      CommunityModel.find({ _id: { $in: ids((c) => [c.location?.communityId]) } }, { name: 1 }).lean(),
      DepartmentModel.find(
        { _id: { $in: ids((c) => [c.departmentId, ...c.postedDepartmentIds]) } },
        { name: 1 },
      ).lean(),
    ])
    return {
      community: new Map(communities.map((d) => [String(d._id), d.name])),
      department: new Map(departments.map((d) => [String(d._id), d.name])),
    }
  }

  function toRequest(c: CaseDoc, n: Awaited<ReturnType<typeof names>>): Open311Request {
    const rule = deps.list.categories[c.category as CategoryRule['code']]
    const agency = c.departmentId
      ? n.department.get(String(c.departmentId))
      : c.status === 'posted'
        ? c.postedDepartmentIds
            .map((d) => n.department.get(String(d)))
            .filter(Boolean)
            .join('、')
        : c.heldAt?.queue === 'intake_desk'
          ? '受理窗口'
          : c.assigneeId
            ? '网格员'
            : undefined
    const loc = c.location
    const building = [loc?.building && `${loc.building}号楼`, loc?.unit && `${loc.unit}单元`].filter(Boolean)
    return {
      service_request_id: c.number,
      status: OPEN_CASE_STATUSES.includes(c.status) ? 'open' : 'closed',
      status_notes: c.mergedInto
        ? `${STATUS_LABELS[c.status]}（并入 ${c.mergedInto}）`
        : STATUS_LABELS[c.status],
      service_name: rule?.name ?? c.category,
      service_code: c.category,
      description: publicText(c.description, loc?.room),
      agency_responsible: agency || '社区居委会',
      service_notice: '',
      requested_datetime: c.createdAt.toISOString(),
      updated_datetime: c.updatedAt.toISOString(),
      expected_datetime: iso(c.deadlines?.resolveBy),
      address: [n.community.get(String(loc?.communityId)) ?? '', ...building].join(''),
      address_id: null,
      zipcode: null,
      lat: loc?.coords?.lat ?? null,
      long: loc?.coords?.lng ?? null,
      media_url: null,
    }
  }

  async function present(docs: CaseDoc[]): Promise<Open311Request[]> {
    const n = await names(docs)
    return docs.map((d) => toRequest(d, n))
  }

  return {
    services: (): Open311Service[] => rules.map(toService),
    service(code: string): Open311Service {
      const rule = rules.find((r) => r.code === code)
      if (!rule) throw new NotFoundError('服务')
      return toService(rule)
    },
    /** GeoReport's service definition: our services ask no extra attributes (`metadata: false`). */
    serviceDefinition(code: string): { service_code: string; attributes: [] } {
      return { service_code: this.service(code).service_code, attributes: [] }
    },

    /** Requests matching the GeoReport filters; by default the last 90 days, at most 1000, newest first. */
    async requests(q: RequestsQuery): Promise<Open311Request[]> {
      const filter: Record<string, unknown> = {}
      if (q.service_request_id) filter.number = { $in: q.service_request_id.split(',') }
      if (q.service_code) filter.category = { $in: q.service_code.split(',') }
      if (q.status) filter.status = { [q.status === 'open' ? '$in' : '$nin']: OPEN_CASE_STATUSES }
      if (!q.service_request_id) {
        // GeoReport: without both dates, a 90-day window (ending now, or after the given start).
        const start0 = q.start_date ? new Date(q.start_date) : undefined
        const end = q.end_date
          ? new Date(q.end_date)
          : start0
            ? new Date(start0.getTime() + DEFAULT_SPAN_MS)
            : deps.clock.now()
        const start = start0 ?? new Date(end.getTime() - DEFAULT_SPAN_MS)
        if (start > end) throw new InvalidInputError('start_date 不能晚于 end_date')
        filter.createdAt = { $gte: start, $lte: end }
      }
      const docs = await CaseModel.find(filter, { timeline: 0 })
        .sort({ _id: -1 })
        .limit(MAX_REQUESTS)
        .lean<CaseDoc[]>()
      return present(docs)
    },

    async request(number: string): Promise<Open311Request> {
      const doc = await CaseModel.findOne({ number }, { timeline: 0 }).lean<CaseDoc>()
      if (!doc) throw new NotFoundError('服务请求')
      return (await present([doc]))[0] as Open311Request
    },

    /** Files a request as a case (channel open311); repeating the same post returns the same case. */
    async create(input: CreateRequestInput, submitterId: string, requestKey?: string) {
      if (!rules.some((r) => r.code === input.service_code)) throw new NotFoundError('服务')
      const place = await placeOf(input)
      const where = input.address_string ? `（地址：${input.address_string}）` : ''
      const key =
        requestKey ??
        createHash('sha256')
          .update(
            JSON.stringify([
              input.service_code,
              input.description,
              input.address_string,
              input.address_id,
              input.lat,
              input.long,
            ]),
          )
          .digest('hex')
          .slice(0, 32)
      const opened = await deps.cases.open({
        channel: 'open311',
        sourceKey: `open311:${submitterId}:${key}`,
        text: `${input.description}${where}`,
        category: input.service_code,
        ...place,
      })
      return [
        {
          service_request_id: opened.case.number,
          service_notice: opened.duplicateOf ? `已并入相同问题的工单 ${opened.duplicateOf}` : '已受理',
          account_id: input.account_id ?? null,
        },
      ]
    },
  }
}

export type Open311Facade = ReturnType<typeof createOpen311Service>
