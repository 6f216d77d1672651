import { InvalidInputError } from '../../../lib/errors.js'

/** The fields an import sheet can carry, each with the header spellings offices use. */
export const HEADER_ALIASES = {
  communityCode: ['社区编号', '社区代码', '社区编码'],
  community: ['社区', '社区名称', '所属社区', '社区名'],
  street: ['街道', '所属街道', '街道名称', '街道办'],
  district: ['旗区', '区县', '所属旗区', '区'],
  gridCode: ['网格编号', '网格代码', '所属网格', '网格编码', '网格号'],
  gridName: ['网格名称', '网格名'],
  gridWorker: ['网格员', '专职网格员', '网格员姓名'],
  gridWorkerPhone: ['网格员电话', '网格员手机号', '网格员联系电话'],
  address: ['地址', '住址', '详细地址', '门牌地址', '家庭住址'],
  building: ['楼栋', '楼号', '楼栋号', '楼', '栋', '楼宇', '楼幢'],
  unit: ['单元', '单元号'],
  room: ['房号', '房间号', '门牌号', '户号', '室号', '房屋号'],
  name: ['姓名', '居民姓名', '人员姓名'],
  phone: ['手机号', '联系电话', '电话', '手机', '手机号码', '联系方式', '电话号码'],
  idNumber: ['身份证号', '证件号码', '身份证', '身份证号码', '公民身份号码', '证件号'],
  tags: ['人员类别', '人员标签', '特殊人群', '标签', '人群类别', '人员类型'],
  party: ['政治面貌', '是否党员'],
  wecomUserId: ['企业微信账号', '企业微信', '企业微信ID', '企业微信userid', '企微账号'],
  /** The building's point; in the datum of 坐标系 (or the import's setting; WGS-84 by default). */
  lng: ['经度', '东经', '楼栋经度', 'lng', 'longitude'],
  lat: ['纬度', '北纬', '楼栋纬度', 'lat', 'latitude'],
  datum: ['坐标系', '坐标系统', '坐标类型'],
  /** The grid's outline: "经度,纬度;经度,纬度;…" (3 points or more), same datum. */
  gridOutline: ['网格边界', '网格范围', '网格轮廓', '网格边界坐标'],
} as const

export type SheetField = keyof typeof HEADER_ALIASES
export type HeaderMap = Partial<Record<SheetField, number>>

/** "身份证号（必填）*" → "身份证号": what offices add around a header does not matter. */
function cleanHeader(raw: string): string {
  return raw
    .replace(/^\uFEFF/, '')
    .replace(/[（(【[].*?[）)】\]]/g, '')
    .replace(/[\s*＊:：]/g, '')
}

const LOOKUP = new Map<string, SheetField>(
  Object.entries(HEADER_ALIASES).flatMap(([field, names]) => names.map((n) => [n, field as SheetField])),
)

const describe = (field: SheetField) => {
  const [first, ...rest] = HEADER_ALIASES[field]
  return `${first}（也可写作 ${rest.join('、')}）`
}

/**
 * Maps the header row to fields. Throws when a required column is missing, naming it and its
 * accepted spellings: a grid column, and either 楼栋 + 房号 or 地址.
 */
export function mapHeaders(header: string[]): HeaderMap {
  const map: HeaderMap = {}
  header.forEach((raw, index) => {
    const field = LOOKUP.get(cleanHeader(raw ?? ''))
    if (field !== undefined && map[field] === undefined) map[field] = index
  })
  const missing: SheetField[] = []
  if (map.gridCode === undefined) missing.push('gridCode')
  if (map.address === undefined) {
    if (map.building === undefined) missing.push('building')
    if (map.room === undefined) missing.push('room')
  }
  if (missing.length > 0) {
    const names = missing.map(describe)
    throw new InvalidInputError(`表头缺少必需的列：${names.join('；')}`, {
      missing: missing.map((f) => HEADER_ALIASES[f][0]),
      found: header.filter((h) => h && h.trim() !== ''),
    })
  }
  return map
}
