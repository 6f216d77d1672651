/** The bot's fixed sentences, in one place so tone stays consistent. */
export const TEXT = {
  menu: '您好，我是邻里小助手，请回复数字：\n1 报事报修\n2 政策咨询\n3 社区活动\n4 我的工单',
  groupHelp: '您好，我是邻里小助手。报事请以「报修」开头说明问题和楼栋，咨询政策请以「咨询」开头。',
  askReport: '请说一下遇到的问题和位置（几号楼几单元），可以附上照片。',
  askPolicy: '请问您想咨询什么政策？直接把问题发给我就行。',
  unbound:
    '大家好，我是邻里小助手。这个群还没有关联到网格或社区，暂时不能派单。请网格员在群里发送「绑定网格 网格编号」完成绑定；政策咨询可以照常问我。',
  notReady: '这项服务正在接入中，请稍后再试，急事请直接联系网格员。',
  apology: '抱歉，小助手刚才出了点问题，请稍后再试。',
  privacy: '您在群里发的电话或证件号码，群里不会显示。为保护隐私，涉及个人信息的内容请私聊我。',
  voiceNote: '收到您的语音，已经保存。小助手暂时听不懂语音，麻烦用文字简单说一下问题。',
  imageNote: '收到图片。请用文字说一下是什么问题、在哪个位置，我来登记。',
  abstained: '这个问题我不确定，怕说错了误导您，已转给社区工作人员，稍后回复您。',
  privacyRefusal:
    '抱歉，为保护居民隐私，我不能提供或整理他人的电话、身份证号、住址等信息，也只按社区服务的规则办事。需要报事请以「报修」开头说明，咨询政策请以「咨询」开头。',
  noCases: '您目前没有工单。需要报事请回复 1。',
  noEvents: '近期没有社区活动，有新活动会通知您。',
  notStaffBind: '抱歉，只有网格员或社区工作人员可以绑定群聊。',
} as const

/** A menu digit the resident may type in a direct chat. */
export const MENU_FLOWS: Readonly<Record<string, 'report' | 'policy' | 'events' | 'my_cases'>> = {
  '1': 'report',
  '2': 'policy',
  '3': 'events',
  '4': 'my_cases',
}
