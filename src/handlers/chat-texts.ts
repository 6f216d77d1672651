/**
 * Every sentence the bot says in a chat, in one place: fixed sentences as strings, the rest as
 * functions with named slots. Rewording a sentence here changes no behaviour: what the bot waits for
 * is recorded as data (conversations/asks.service.ts), never read back from these words.
 */
export const TEXT = {
  menu: '您好，我是邻里小助手，请回复数字：\n1 报事报修\n2 政策咨询\n3 社区活动\n4 我的工单',
  groupHelp: '您好，我是邻里小助手。报事请以「报修」开头说明问题和楼栋，咨询政策请以「咨询」开头。',
  askReport: '请说一下遇到的问题和位置（几号楼几单元），可以附上照片。',
  askPolicy: '请问您想咨询什么政策？直接把问题发给我就行。',
  unbound:
    '大家好，我是邻里小助手。这个群还没有关联到网格或社区，请网格员在群里发送「绑定网格 网格编号」完成绑定。在此之前大家反映的问题会先转给街道服务台；政策咨询可以照常问我。',
  apology: '抱歉，小助手刚才出了点问题，请稍后再试。',
  privacy: '您在群里发的电话或证件号码，群里不会显示。为保护隐私，涉及个人信息的内容请私聊我。',
  imageNote: '收到图片。请用文字说一下是什么问题、在哪个位置，我来登记。',
  abstained: '这个问题我不确定，怕说错了误导您，已转给社区工作人员，稍后回复您。',
  privacyRefusal:
    '抱歉，为保护居民隐私，我不能提供或整理他人的电话、身份证号、住址等信息，也只按社区服务的规则办事。需要报事请以「报修」开头说明，咨询政策请以「咨询」开头。',
  noCases: '您目前没有工单。需要报事请回复 1。',
  noEvents: '近期没有社区活动，有新活动会通知您。',
  noEventsNoHome:
    '您还没有登记住址，暂时看不到所在社区的活动。请在邻里小程序里扫描家门口的门牌码登记，或请网格员帮您登记。',
  notStaffBind: '抱歉，只有网格员或社区工作人员可以绑定群聊。',
  chitChat:
    '您好！我是邻里小助手，可以帮您报事报修、解答社区政策、提醒社区活动。有需要随时告诉我，回复「菜单」看看我能做什么。',
  thanks: '不客气，有需要随时找我。',
  noRatingPending:
    '谢谢您的评价！您现在没有等待评价的工单，工单办结后我会请您打分。如果是要反映新问题，请直接说明问题和地点。',
  english:
    '您好，我是邻里小助手，请用中文告诉我您遇到的问题或想咨询的政策。\n(Hi! I am the neighbourhood assistant. Please write in Chinese, or reply 菜单 for the menu.)',
  ratingRange: '请回复 1 到 5 之间的数字打分（5 分最满意），数字后可以附一句评价。',
  locationNotUnderstood: '好的，已把您说的记在工单里，服务台工作人员会尽快联系您确认位置。',
  locationOutside:
    '收到您的位置，但这里不在我们服务的社区范围内。请告诉我您所在的社区和楼号（例如「康和社区 5号楼」）。',
  locationWithoutReport: '收到您的位置。如需报事，请先用一句话说说遇到了什么问题，再把位置发给我。',
  workerOnly: '抱歉，工单指令只对网格员和社区工作人员开放。居民报事请直接描述问题，或回复「菜单」。',
  noWorkerCases: '您目前没有待办工单。',
  remindersOn: '已开启活动提醒。',
  remindersOff: '已退订活动提醒，以后不再给您发提醒。想恢复请回复「开启提醒」。',
  eventNotFound: '没有找到这个活动，请回复「活动」查看近期活动的序号。',
  signupNotFound: '没有找到您的报名记录。',
  walkInUsage: '请这样发：代录 楼栋-单元-房号 问题描述，例如「代录 3-2-301 厨房下水道堵了」。',
  unbindDone: '已解除本群的关联。',
  unbindNone: '本群还没有关联网格或社区。',
  noPolls: '目前没有您可以参加的投票。有新的投票会在群里通知大家。',
  pollNotFound: '没有找到这个投票代码，请核对后再发一次，或回复「投票」查看可以参加的投票。',
  opinionEmpty: '请在「意见」后面写上您的想法，例如「意见 建议在3号楼旁边加装充电桩」。',
  opinionWhich:
    '请在议事通知所在的群里回复「意见 您的想法」，或者写上议事代码，例如「意见 Y4K2 您的想法」（代码在议事通知的末尾）。',
} as const

/** A reply with slots, e.g. `say.reportOpened({ … })`. */
export const say = {
  /** A new case: the handler is named only when someone was told. */
  reportOpened(s: { caseNumber: string; handler?: string; due: string; urgent: boolean }): string {
    const urgent = s.urgent ? '紧急情况已通知' : ''
    const who = s.handler ? `由${s.handler}处理` : '已转给社区工作人员'
    const lead = s.urgent && s.handler ? `${urgent}${s.handler}。` : ''
    return `${lead}已收到，工单号 ${s.caseNumber}，${who}，预计${s.due}办结。有照片可以直接发给我补充。`
  },
  voiceForwarded(s: { caseNumber: string }): string {
    return `收到您的语音，已转给网格员，会尽快联系您。工单号 ${s.caseNumber}`
  },
  reportJoined(s: { caseNumber: string }): string {
    return `已有邻居反映过此问题（工单 ${s.caseNumber}），已为您关注进展，处理结果会通知您。`
  },
  /** A stranger's report went to the intake desk: the one question for their place. */
  reportHeldAskPlace(s: { caseNumber: string }): string {
    return `已收到，工单号 ${s.caseNumber}，先由街道服务台接收。请问您住在哪个社区、几号楼？（例如「康和社区 5号楼2单元」）告诉我后马上转给您的网格员。`
  },
  relocated(s: { caseNumber: string; handler?: string }): string {
    return s.handler
      ? `谢谢！工单 ${s.caseNumber} 已转给${s.handler}处理。`
      : `谢谢！工单 ${s.caseNumber} 已转给社区工作人员处理。`
  },
  /** A location message placed the case: at the building it named, else in the grid. */
  placedByLocation(s: { caseNumber: string; building?: string; handler?: string }): string {
    const at = s.building ? `${s.building}号楼附近` : '您发送的位置'
    const who = s.handler ? `，由${s.handler}处理` : ''
    return `谢谢！已按${at}记录工单 ${s.caseNumber} 的地点${who}。`
  },
  followUpAdded(s: { caseNumber: string }): string {
    return `已补充到工单 ${s.caseNumber}。`
  },
  /** The safety advice for a danger, before anything else. */
  emergency(s: { advice: string; numbers: string[] }): string {
    const call = s.numbers.length > 0 ? `请立即拨打 ${s.numbers.join(' 或 ')}。` : ''
    return `⚠️ ${call}${s.advice}`
  },
  policyAnswer(s: { answer: string; sources: string }): string {
    return s.sources ? `${s.answer}\n来源：${s.sources}` : s.answer
  },
  policyHandedOver(s: { caseNumber: string }): string {
    return `这个问题我不确定，怕说错了误导您，已转给社区工作人员（工单 ${s.caseNumber}），稍后回复您。`
  },
  myCases(s: { lines: string[] }): string {
    return `您的工单：\n${s.lines.join('\n')}`
  },
  events(s: { lines: string[] }): string {
    return `近期社区活动：\n${s.lines.join('\n')}`
  },
  rated(s: { score: number; caseNumber: string }): string {
    return `谢谢您的评价（${s.score} 分），工单 ${s.caseNumber} 已记录。`
  },
  ratedLow(s: { score: number; caseNumber: string }): string {
    return `很抱歉没让您满意（${s.score} 分）。工单 ${s.caseNumber} 已退回重新办理，社区工作人员会尽快回访您。`
  },
  acknowledged(s: { title: string }): string {
    return `已确认收到《${s.title}》，谢谢！`
  },
  bound(s: { where: string }): string {
    return `好的，本群已关联到${s.where}。大家@我或以「报修」「咨询」开头发消息，我就会登记并转给网格员。`
  },
  refusedWithReason(s: { message: string }): string {
    return `抱歉，${s.message}。`
  },
  checkCode(s: { message: string }): string {
    return `${s.message}，请核对编号后再试。`
  },
  usage(s: { form: string }): string {
    return `请这样发：${s.form}`
  },
  workerList(s: { lines: string[] }): string {
    return `您的待办工单：\n${s.lines.join('\n')}`
  },
  accepted(s: { caseNumber: string; due: string }): string {
    return `已接单 ${s.caseNumber}，请于${s.due}办结，居民已收到受理通知。`
  },
  progressNoted(s: { caseNumber: string }): string {
    return `已记录工单 ${s.caseNumber} 的进展，已告知反映问题的居民。`
  },
  resolved(s: { caseNumber: string }): string {
    return `工单 ${s.caseNumber} 已办结，已通知居民评价。辛苦了！`
  },
  transferred(s: { caseNumber: string; department: string }): string {
    return `工单 ${s.caseNumber} 已转派给${s.department}。`
  },
  departmentNotFound(s: { name: string }): string {
    return `没有找到「${s.name}」这个部门，请写部门全称或编号后再发一次。`
  },
  walkInJoined(s: { address: string; caseNumber: string }): string {
    return `${s.address}的这个问题已有工单 ${s.caseNumber}，已并入关注。`
  },
  walkInOpened(s: { caseNumber: string; address: string; status: string; due: string }): string {
    return `已代录工单 ${s.caseNumber}（${s.address}），${s.status}，${s.due}办结。`
  },
  signedUp(s: { title: string; place: string }): string {
    return `报名成功：${s.title}，${s.place}。活动前会提醒您。`
  },
  alreadySignedUp(s: { title: string }): string {
    return `您已经报过名了：${s.title}。`
  },
  waitlisted(s: { title: string }): string {
    return `${s.title} 名额已满，已为您排队候补，有空位会通知您。`
  },
  cancelled(s: { title: string }): string {
    return `已取消报名：${s.title}。`
  },
  /** Several open polls: the person names one by its code. */
  pollList(s: { lines: string[] }): string {
    return `目前有这些投票可以参加：\n${s.lines.join('\n')}\n请回复「投票 代码」查看选项，或直接回复「投票 代码 序号」，例如「投票 ${s.lines[0]?.slice(0, 4) ?? ''} 1」。`
  },
  voted(s: { question: string; picked: string; household: boolean }): string {
    return `已记录${s.household ? '您家' : '您'}的投票：${s.picked}（${s.question}）。${s.household ? '每户一票，' : ''}谢谢参与！`
  },
  opinionRecorded(s: { title: string }): string {
    return `已收到您对「${s.title}」的意见，社区会认真研究，谢谢！`
  },
} as const

/** A menu digit the resident may type in a direct chat. */
export const MENU_FLOWS: Readonly<Record<string, 'report' | 'policy' | 'events' | 'my_cases'>> = {
  '1': 'report',
  '2': 'policy',
  '3': 'events',
  '4': 'my_cases',
}

export const WORKER_HELP = [
  '工单指令：',
  '我的工单',
  '接单 工单号',
  '进展 工单号 说明',
  '办结 工单号 处理结果',
  '转派 工单号 部门 原因',
  '代录 楼栋-单元-房号 问题描述',
].join('\n')

/** Points and the points shop (积分, 兑换 <n>, 参加/不参加排行). */
export const POINTS_TEXT = {
  balances(s: { activity: number; conduct: number }): string {
    return `您的积分：活动积分 ${s.activity} 分，品德积分 ${s.conduct} 分。`
  },
  thisMonth(s: { month: string; earned: number; spent: number }): string {
    return `本月（${s.month}）获得 ${s.earned} 分，兑换花费 ${s.spent} 分。`
  },
  emptyShop: '积分商城暂时还没有可兑换的商品，请留意社区通知。',
  shopNeedsCommunity:
    '您还没有登记住址，暂时看不到所在社区的积分商城。可以在小区业主群里发「积分」，或请网格员帮您登记。',
  shopTitle: '积分商城：',
  shopLine(s: {
    n: number
    title: string
    cost: number
    kind: string
    left: number
    merchant?: string
  }): string {
    const left = s.left > 0 ? `剩 ${s.left} 件` : '已兑完'
    return `${s.n}. ${s.title}｜${s.cost} 分（${s.kind}）｜${left}${s.merchant ? `｜${s.merchant}提供` : ''}`
  },
  howToRedeem: '回复「兑换 序号」即可兑换，例如「兑换 1」。',
  howToOptOut: '不想出现在网格积分排行里，回复「不参加排行」。',
  redeemHow: '请回复「兑换 序号」，序号是「积分」列表里商品前面的数字，例如「兑换 1」。',
  redeemNoItem: '没有找到这个序号的商品。请先发送「积分」看看可兑换的商品，再回复「兑换 序号」。',
  redeemed(s: { title: string; cost: number; kind: string; code: string; until?: string }): string {
    const when = s.until ? `，请在 ${s.until} 前` : '，请尽快'
    return `兑换成功！「${s.title}」花费 ${s.cost} 分（${s.kind}）。\n取货码：${s.code}${when}凭取货码到社区或商家领取。`
  },
  alreadyRedeemed(s: { title: string }): string {
    return `您已经兑换过「${s.title}」了。`
  },
  refused(s: { reason: string }): string {
    return `抱歉，${s.reason}。`
  },
  boardOff: '好的，您不会再出现在网格积分排行里。想重新参加，回复「参加排行」。',
  boardOn: '好的，您已参加网格积分排行（姓名会打码显示）。不想参加，回复「不参加排行」。',
} as const
