/** Every sentence the volunteer and proxy chat features say, with named slots. */
export const VTEXT = {
  guide: (skills: readonly string[]) =>
    [
      '谢谢您愿意当志愿者！请回复「志愿者 技能」登记，技能可以选：',
      skills.join('、'),
      '还可以加上有空的时间，例如「志愿者 维修 陪诊 工作日 下午」。',
    ].join('\n'),
  noSkill: (skills: readonly string[]) =>
    `没听明白您会哪项技能，请从这些里选：${skills.join('、')}。例如「志愿者 维修 陪诊」。`,
  registered: (s: { skills: string[]; when: string }) =>
    `已登记为志愿者，技能：${s.skills.join('、')}，服务时间：${s.when}。有合适的需求会发给您，回复「接单 需求编号」就能接。`,
  noOffers: '目前没有发给您的志愿需求，有新的会通知您。',
  offers: (lines: string[]) => `发给您的志愿需求：\n${lines.join('\n')}\n回复「接单 需求编号」接单。`,
  accepted: (s: { code: string; skill: string; already: boolean }) =>
    s.already
      ? `您已经接了需求 ${s.code}（${s.skill}），到了请回复「签到 ${s.code}」。`
      : `接单成功！需求 ${s.code}（${s.skill}）交给您了。到了请回复「签到 ${s.code}」，完成后回复「完成 ${s.code} 2小时」。`,
  checkedIn: (code: string) =>
    `已签到，辛苦了！完成后回复「完成 ${code} 服务小时数」，例如「完成 ${code} 2小时」。`,
  done: (s: { code: string; hours: number; points: number }) =>
    `需求 ${s.code} 已完成，记录服务 ${s.hours} 小时${s.points > 0 ? `，获得 ${s.points} 积分` : ''}。谢谢您的付出！`,
  doneUsage: (code: string) => `请告诉我服务了几个小时，例如「完成 ${code} 2小时」。`,
  rated: (s: { code: string; score: number }) => `谢谢您的评价（${s.score} 分），志愿服务 ${s.code} 已记录。`,
  refused: (message: string) => `抱歉，${message.replace(/[。.！!]+$/, '')}。`,
  proxyChoose: (addresses: string[]) =>
    `您登记代办的住户有：${addresses.join('、')}。请说明是哪一户，例如「代 ${addresses[0]} 报修 水管漏水」。`,
  proxyNone: '您还没有登记为哪一户的代办人，不能替别人报事。请联系社区网格员登记后再试。',
  proxyUsage: '请这样发：代 3号楼2单元301 报修 问题描述。',
  proxyAcked: (s: { title: string; address: string; recorded: boolean }) =>
    s.recorded
      ? `已替 ${s.address} 确认收到《${s.title}》，谢谢！`
      : `${s.address} 已经确认过收到《${s.title}》了，不用再确认，谢谢！`,
  proxyNoAck: (address: string) => `最近没有需要 ${address} 确认收到的通知。`,
}
