/**
 * Writes the office-format fixtures of the knowledge base tests into test/fixtures/kb/ (run once,
 * commit the output): `npx tsx scripts/make-kb-fixtures.ts`. Needs the Noto CJK font
 * (fonts-noto-cjk) for the PDF with a Chinese text layer.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { AlignmentType, Document, HeadingLevel, LevelFormat, Packer, Paragraph } from 'docx'
import iconv from 'iconv-lite'
import PDFDocument from 'pdfkit'
import QRCode from 'qrcode'

const OUT = path.resolve(import.meta.dirname, '../test/fixtures/kb')
const CJK_FONT = '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'
const FIXED_DATE = new Date('2026-01-05T00:00:00Z')

async function writeDocx() {
  const doc = new Document({
    creator: '示范市住房和城乡建设局',
    title: '示范市既有住宅加装电梯补贴办法',
    numbering: {
      config: [
        {
          reference: 'materials',
          levels: [{ level: 0, format: LevelFormat.DECIMAL, text: '%1.', alignment: AlignmentType.START }],
        },
      ],
    },
    sections: [
      {
        children: [
          new Paragraph({ text: '示范市既有住宅加装电梯补贴办法', heading: HeadingLevel.TITLE }),
          new Paragraph({ text: '第一章 总则', heading: HeadingLevel.HEADING_1 }),
          new Paragraph(
            '第一条 为方便老年人等居民上下楼，鼓励既有多层住宅加装电梯，结合本市实际，制定本办法。',
          ),
          new Paragraph('第二条 本办法适用于本市城区内四层及以上、未设电梯的既有住宅。'),
          new Paragraph({ text: '第二章 补贴标准', heading: HeadingLevel.HEADING_1 }),
          new Paragraph(
            '第三条 每部新装电梯由市财政给予一次性补贴20万元；楼内有80周岁以上老人或者重度残疾人的，另增加补贴2万元。',
          ),
          new Paragraph({ text: '一、申请材料', heading: HeadingLevel.HEADING_2 }),
          new Paragraph({ text: '加装电梯申请表；', numbering: { reference: 'materials', level: 0 } }),
          new Paragraph({
            text: '本单元全体业主同意加装的书面意见；',
            numbering: { reference: 'materials', level: 0 },
          }),
          new Paragraph({ text: '施工图设计文件。', numbering: { reference: 'materials', level: 0 } }),
          new Paragraph({ text: '二、办理流程', heading: HeadingLevel.HEADING_2 }),
          new Paragraph('（一）业主代表向所在街道便民服务中心提交申请材料，街道在10个工作日内完成初审。'),
          new Paragraph('（二）初审通过后，区住房和城乡建设局在20个工作日内出具审查意见。'),
          new Paragraph('第四条 本办法自2026年1月1日起施行。'),
        ],
      },
    ],
  })
  writeFileSync(path.join(OUT, 'elevator-subsidy.docx'), await Packer.toBuffer(doc))
}

function pdfBuffer(build: (doc: PDFKit.PDFDocument) => void, options: PDFKit.PDFDocumentOptions = {}) {
  return new Promise<Buffer>((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 72, info: { CreationDate: FIXED_DATE }, ...options })
    const parts: Buffer[] = []
    doc.on('data', (b: Buffer) => parts.push(b))
    doc.on('end', () => resolve(Buffer.concat(parts)))
    doc.on('error', reject)
    build(doc)
    doc.end()
  })
}

const NOTICE = [
  '关于做好2026年度城乡居民基本医疗保险集中缴费工作的通知',
  '各街道、各社区：',
  '一、缴费时间。2026年度城乡居民基本医疗保险集中缴费期为2025年9月1日至12月31日，逾期未缴费的居民，待遇享受设置三个月的等待期。',
  '二、缴费标准。成年居民个人缴费每人每年400元；学生和未成年人每人每年380元；低保对象和特困人员的个人缴费由医疗救助资金全额资助。',
  '三、缴费渠道。居民可通过社区网格员代收、银行柜台或者手机上的医保服务平台缴费，缴费成功后可在平台查询缴费记录。',
]

async function writeTextPdf() {
  const pdf = await pdfBuffer((doc) => {
    doc.font(CJK_FONT, 'NotoSansCJKsc-Regular')
    const [title, ...paragraphs] = NOTICE
    doc.fontSize(16).text(title as string, { align: 'center' })
    doc.moveDown()
    // A narrow column: long paragraphs wrap in the middle of sentences, as in real notices.
    for (const p of paragraphs) doc.fontSize(12).text(p, { width: 300 }).moveDown(0.5)
  })
  writeFileSync(path.join(OUT, 'medical-insurance-notice.pdf'), pdf)
}

async function writeImageOnlyPdf() {
  const png = await QRCode.toBuffer('扫描件：没有文字层的通知', { width: 300 })
  const pdf = await pdfBuffer((doc) => {
    doc.image(png, 72, 72, { width: 300 })
  })
  writeFileSync(path.join(OUT, 'scanned-notice.pdf'), pdf)
}

async function writeEncryptedPdf() {
  const pdf = await pdfBuffer(
    (doc) => {
      doc
        .font(CJK_FONT, 'NotoSansCJKsc-Regular')
        .fontSize(12)
        .text(NOTICE[2] as string)
    },
    { userPassword: 'secret', ownerPassword: 'owner', pdfVersion: '1.7' },
  )
  writeFileSync(path.join(OUT, 'locked-notice.pdf'), pdf)
}

const HTML = `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>示范市民政局关于调整城乡低保标准的通知_示范市人民政府门户网站</title>
<style>body { font-family: sans-serif } .nav a { color: #333 }</style>
<script>var _hmt = _hmt || []; window.trackPage('低保通知');</script>
</head>
<body>
<header class="top"><div class="logo">示范市人民政府门户网站</div><a href="/">首页</a></header>
<nav class="nav"><a href="/zwgk">政务公开</a> | <a href="/bsfw">办事服务</a> | <a href="/hdjl">互动交流</a></nav>
<div class="breadcrumb">当前位置：首页 &gt; 政务公开 &gt; 通知公告</div>
<div class="article">
  <h1>示范市民政局关于调整城乡低保标准的通知</h1>
  <div class="info">发布时间：2025-12-20　来源：示范市民政局</div>
  <div class="content">
    <p>各区民政局：</p>
    <p>经市人民政府同意，现就调整城乡居民最低生活保障标准有关事项通知如下。</p>
    <h2>一、调整标准</h2>
    <p>自2026年1月1日起，城市低保标准由每人每月900元提高到每人每月960元，农村低保标准由每人每月700元提高到每人每月760元。</p>
    <h2>二、工作要求</h2>
    <ul>
      <li>各区要在2026年1月底前按新标准发放到位。</li>
      <li>社区要做好政策宣传，对新纳入的困难家庭及时受理申请。</li>
    </ul>
  </div>
</div>
<footer class="footer">主办：示范市人民政府办公厅　网站标识码：1234567890　备案号：示ICP备00000000号</footer>
<script src="/js/stat.js"></script>
</body>
</html>
`

const GBK_TEXT = `社区垃圾分类投放指引

一、投放时间。每日早上7:00至9:00、晚上18:00至21:00，定时定点投放，其他时间请投放至误时投放点。

二、分类要求。厨余垃圾应沥干水分后破袋投放，可回收物应保持清洁干燥，有害垃圾应轻放并投入红色收集容器。
`

/** Deterministic bytes that no text decoder makes sense of (a corrupted upload). */
function garbage(size: number): Buffer {
  const out = Buffer.alloc(size)
  let x = 2463534242
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

mkdirSync(OUT, { recursive: true })
await writeDocx()
await writeTextPdf()
await writeImageOnlyPdf()
await writeEncryptedPdf()
writeFileSync(path.join(OUT, 'low-income-standard.html'), HTML)
writeFileSync(path.join(OUT, 'waste-sorting-gbk.txt'), iconv.encode(GBK_TEXT, 'gbk'))
writeFileSync(path.join(OUT, 'empty.md'), '')
writeFileSync(path.join(OUT, 'zero.txt'), '0\n')
writeFileSync(path.join(OUT, 'corrupted.txt'), garbage(2048))
writeFileSync(path.join(OUT, 'corrupted.docx'), garbage(4096))
console.log(`fixtures written to ${OUT}`)
