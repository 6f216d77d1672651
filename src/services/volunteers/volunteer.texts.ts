import type { VolunteerNeedDoc } from '../../models/volunteer.model.js'
import { formatLocal } from '../events/event.time.js'

type Need = Pick<VolunteerNeedDoc, 'code' | 'skill' | 'description' | 'place' | 'startsAt' | 'building'>

const whereOf = (n: Need) => n.place || (n.building ? `${n.building}号楼附近` : '社区内')

/** Every sentence the volunteer feature sends, with named slots. */
export const say = {
  offer: (n: Need, timeZone: string) =>
    [
      `【志愿需求 ${n.code}】${n.skill}`,
      `内容：${n.description}`,
      `时间：${formatLocal(n.startsAt, timeZone)}　地点：${whereOf(n)}`,
      `愿意帮忙请回复「接单 ${n.code}」，谢谢您！`,
    ].join('\n'),
  accepted: (n: Need, timeZone: string) =>
    `您的志愿服务需求（${n.skill}，${formatLocal(n.startsAt, timeZone)}）已经有志愿者接单了，到时会有人来帮忙。`,
  askRating: (n: Need) =>
    `志愿者已经完成了这次${n.skill}服务。请回复「评价 ${n.code} 5」给这次服务打 1–5 分。`,
}
