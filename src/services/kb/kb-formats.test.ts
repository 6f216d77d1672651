import { readFileSync } from 'node:fs'
import path from 'node:path'
import iconv from 'iconv-lite'
import { describe, expect, it } from 'vitest'
import { chunkDocument } from './kb-chunker.js'
import { checkFileType, documentIdFor, type ExtractedDocument, extractDocument } from './kb-formats.js'

const FIXTURES = path.resolve(import.meta.dirname, '../../../test/fixtures/kb')
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name))

async function extracted(name: string, bytes: Buffer = fixture(name)): Promise<ExtractedDocument> {
  const r = await extractDocument(name, bytes)
  if (!r.ok) throw new Error(`${name} refused: ${r.code} ${r.message}`)
  return r
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '')

describe('extractDocument', () => {
  it('reads a Word file: title, chapters, articles, 一、/（一） items and numbered lists each on a line', async () => {
    const doc = await extracted('elevator-subsidy.docx')
    expect(doc.title).toBe('示范市既有住宅加装电梯补贴办法')
    expect(doc.meta.format).toBe('docx')
    expect(lines(doc.text)).toEqual([
      '# 示范市既有住宅加装电梯补贴办法',
      '第一章 总则',
      '第一条 为方便老年人等居民上下楼，鼓励既有多层住宅加装电梯，结合本市实际，制定本办法。',
      '第二条 本办法适用于本市城区内四层及以上、未设电梯的既有住宅。',
      '第二章 补贴标准',
      '第三条 每部新装电梯由市财政给予一次性补贴20万元；楼内有80周岁以上老人或者重度残疾人的，另增加补贴2万元。',
      '一、申请材料',
      '1. 加装电梯申请表；',
      '2. 本单元全体业主同意加装的书面意见；',
      '3. 施工图设计文件。',
      '二、办理流程',
      '（一）业主代表向所在街道便民服务中心提交申请材料，街道在10个工作日内完成初审。',
      '（二）初审通过后，区住房和城乡建设局在20个工作日内出具审查意见。',
      '第四条 本办法自2026年1月1日起施行。',
    ])
    // The chunker sees the structure: the subsidy article sits under its chapter.
    const chunks = chunkDocument(doc.text, doc.title as string)
    expect(chunks.find((c) => c.text.includes('20万元'))?.headings).toEqual(['第二章 补贴标准', '第三条'])
  })

  it("joins a PDF's mid-sentence line breaks and keeps each numbered paragraph apart", async () => {
    const doc = await extracted('medical-insurance-notice.pdf')
    expect(doc.meta).toEqual({ format: 'pdf', pages: 1 })
    expect(doc.title).toBe('关于做好2026年度城乡居民基本医疗保险集中缴费工作的通知')
    const body = lines(doc.text)
    expect(body[0]).toBe(`# ${doc.title}`)
    expect(body.slice(1)).toEqual([
      '各街道、各社区：',
      '一、缴费时间。2026年度城乡居民基本医疗保险集中缴费期为2025年9月1日至12月31日，逾期未缴费的居民，待遇享受设置三个月的等待期。',
      '二、缴费标准。成年居民个人缴费每人每年400元；学生和未成年人每人每年380元；低保对象和特困人员的个人缴费由医疗救助资金全额资助。',
      '三、缴费渠道。居民可通过社区网格员代收、银行柜台或者手机上的医保服务平台缴费，缴费成功后可在平台查询缴费记录。',
    ])
  })

  it('takes the article of a government web page and drops its navigation, header, footer and scripts', async () => {
    const doc = await extracted('low-income-standard.html')
    expect(doc.title).toBe('示范市民政局关于调整城乡低保标准的通知')
    expect(doc.meta).toEqual({ format: 'html', issuer: '示范市民政局', date: '2025-12-20' })
    expect(lines(doc.text)).toEqual([
      '# 示范市民政局关于调整城乡低保标准的通知',
      '各区民政局：',
      '经市人民政府同意，现就调整城乡居民最低生活保障标准有关事项通知如下。',
      '一、调整标准',
      '自2026年1月1日起，城市低保标准由每人每月900元提高到每人每月960元，农村低保标准由每人每月700元提高到每人每月760元。',
      '二、工作要求',
      '各区要在2026年1月底前按新标准发放到位。',
      '社区要做好政策宣传，对新纳入的困难家庭及时受理申请。',
    ])
    for (const chrome of ['首页', '政务公开', '网站标识码', 'trackPage', 'font-family', '当前位置'])
      expect(doc.text).not.toContain(chrome)
  })

  it('reads a web page saved in GB2312, as many government sites still serve them', async () => {
    const html = fixture('low-income-standard.html')
      .toString('utf8')
      .replace('charset="utf-8"', 'charset="gb2312"')
    const doc = await extracted('page.htm', iconv.encode(html, 'gbk'))
    expect(doc.title).toBe('示范市民政局关于调整城乡低保标准的通知')
    expect(doc.text).toContain('城市低保标准由每人每月900元提高到每人每月960元')
  })

  it('reads GBK text, UTF-8 with a BOM, and UTF-16; a first short line becomes the title', async () => {
    const gbk = await extracted('waste-sorting-gbk.txt')
    expect(gbk.meta).toEqual({ format: 'text', encoding: 'gb18030' })
    expect(gbk.title).toBe('社区垃圾分类投放指引')
    expect(gbk.text).toContain('厨余垃圾应沥干水分后破袋投放')

    const utf8 = await extracted('a.md', Buffer.from(`\uFEFF${gbk.text}`, 'utf8'))
    expect(utf8.meta.encoding).toBe('utf-8')
    expect(utf8.text.startsWith('# 社区垃圾分类投放指引')).toBe(true)

    const utf16 = await extracted(
      'b.txt',
      Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(gbk.text, 'utf-16le')]),
    )
    expect(utf16.meta.encoding).toBe('utf-16')
    expect(utf16.text).toContain('有害垃圾应轻放并投入红色收集容器')
  })

  it('keeps the front matter of a Markdown file for the service to read', async () => {
    const md =
      '---\ntitle: 便民服务清单\ndate: 2026-01-05\n---\n一、开放时间。周一至周五8:30—12:00、14:30—18:00。\n'
    const doc = await extracted('service.md', Buffer.from(md))
    expect(doc.text).toBe(md)
    expect(doc.title).toBeUndefined()
  })

  it('refuses files that are no documents, each with its own reason in Chinese', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['empty.md', 'EMPTY', /文件是空的/],
      ['zero.txt', 'TOO_SHORT', /内容太少/],
      ['corrupted.txt', 'BINARY', /无法识别为文字/],
      ['corrupted.docx', 'BINARY', /无法识别为文字/],
      ['scanned-notice.pdf', 'IMAGE_ONLY_PDF', /只有图片没有文字层.*OCR/],
      ['locked-notice.pdf', 'ENCRYPTED', /密码保护/],
    ]
    for (const [name, code, message] of cases) {
      const r = await extractDocument(name, fixture(name))
      expect(r, name).toMatchObject({ ok: false, code })
      expect(r.ok ? '' : r.message, name).toMatch(message)
    }
    expect(await extractDocument('通知.doc', Buffer.from('x'))).toMatchObject({
      ok: false,
      code: 'UNSUPPORTED_TYPE',
      message: expect.stringContaining('另存为 .docx'),
    })
    expect(await extractDocument('扫描.jpg', Buffer.from('x'))).toMatchObject({
      code: 'UNSUPPORTED_TYPE',
      message: expect.stringContaining('OCR'),
    })
    // A renamed password-protected Word file is an OLE container, not a ZIP.
    const ole = Buffer.concat([
      Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
      Buffer.alloc(512, 1),
    ])
    expect(await extractDocument('x.docx', ole)).toMatchObject({ ok: false, code: 'ENCRYPTED' })
    // Valid UTF-8 that is nearly all control characters is garbage too.
    const controls = Buffer.from('\u0001\u0002\u0003通知\u0004\u0005\u0006'.repeat(20))
    expect(await extractDocument('x.txt', controls)).toMatchObject({ ok: false, code: 'BINARY' })
  })

  it('tells the format of a name without extension from the bytes', async () => {
    expect((await extracted('upload', fixture('medical-insurance-notice.pdf'))).meta.format).toBe('pdf')
    expect((await extracted('upload', fixture('elevator-subsidy.docx'))).meta.format).toBe('docx')
    expect((await extracted('upload', fixture('low-income-standard.html'))).meta.format).toBe('html')
    expect((await extracted('upload', fixture('waste-sorting-gbk.txt'))).meta.format).toBe('text')
  })
})

describe('file names', () => {
  it('derives a document id that the id rule accepts', () => {
    expect(documentIdFor('winter-heating.md')).toBe('winter-heating')
    expect(documentIdFor('关于调整低保标准的通知（2025）.pdf')).toBe('关于调整低保标准的通知-2025')
    expect(documentIdFor('《养犬管理规定》 修订版.docx')).toBe('养犬管理规定-修订版')
    expect(documentIdFor('---.txt')).toBe('document')
  })

  it('names the supported types and refuses the rest', () => {
    for (const ok of ['a.docx', 'a.PDF', 'a.html', 'a.htm', 'a.md', 'a.markdown', 'a.txt'])
      expect(checkFileType(ok), ok).toBeUndefined()
    expect(checkFileType('a.xlsx')?.message).toContain('.docx .pdf .html')
  })
})
