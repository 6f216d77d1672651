import QRCode from 'qrcode'
import type { CommunityView, GridView, HouseholdView } from './registry.views.js'

/** What a code encodes: `linli:g:<token>` (grid), `linli:h:<token>` (household), `linli:p:<token>` (person). */
export type CodeKind = 'grid' | 'household' | 'resident'

const PREFIX: Record<CodeKind, string> = { grid: 'g', household: 'h', resident: 'p' }

/** The payload printed into a QR code; the mini-program reads the kind and the token from it. */
export function codePayload(kind: CodeKind, token: string): string {
  return `linli:${PREFIX[kind]}:${token}`
}

/** Reads a scanned payload back (also accepts a bare token as a household code). */
export function parseCodePayload(text: string): { kind: CodeKind; token: string } | undefined {
  const m = /^linli:([ghp]):([A-Za-z0-9_-]{16,})$/.exec(text.trim())
  if (!m)
    return /^[A-Za-z0-9_-]{16,}$/.test(text.trim()) ? { kind: 'household', token: text.trim() } : undefined
  const kind = (Object.entries(PREFIX).find(([, p]) => p === m[1]) as [CodeKind, string])[0]
  return { kind, token: m[2] as string }
}

/** A QR code as PNG bytes. */
export async function renderQrPng(payload: string, width = 360): Promise<Buffer> {
  return QRCode.toBuffer(payload, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width })
}

/** A QR code as an SVG document. */
export async function renderQrSvg(payload: string): Promise<string> {
  return QRCode.toString(payload, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  )

const SHEET_CSS = `
@page { size: A4; margin: 10mm; }
* { box-sizing: border-box; }
body { font-family: "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; margin: 0; color: #222; }
header { margin: 0 0 6mm; }
header h1 { font-size: 16pt; margin: 0 0 2mm; }
header p { margin: 0; font-size: 10pt; color: #555; }
.grid { display: grid; grid-template-columns: repeat(3, 1fr); gap: 4mm; }
.card { border: 1px dashed #999; padding: 3mm; text-align: center; page-break-inside: avoid; break-inside: avoid; }
.card svg { width: 45mm; height: 45mm; }
.card .addr { font-size: 13pt; font-weight: bold; margin-top: 1mm; }
.card .hint { font-size: 8pt; color: #666; }
@media print { header p.screen { display: none; } }
`

/**
 * A printable A4 sheet of one building's household codes (一户一码), three per row, each with its
 * address, for the grid worker to cut out and post on the doors.
 */
export async function renderBuildingSheet(input: {
  community: CommunityView
  grid: GridView
  building: string
  households: HouseholdView[]
}): Promise<string> {
  const cards = await Promise.all(
    input.households
      .filter((h) => !h.tokenRevoked)
      .map(async (h) => {
        const svg = await renderQrSvg(codePayload('household', h.token))
        return `<div class="card">${svg}<div class="addr">${escapeHtml(h.address)}</div><div class="hint">微信扫码，绑定您家住户</div></div>`
      }),
  )
  const title = `${input.community.name} ${input.grid.name} ${input.building}号楼 一户一码`
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${SHEET_CSS}</style></head>
<body><header><h1>${escapeHtml(title)}</h1><p>网格 ${escapeHtml(input.grid.code)} · 共 ${cards.length} 户</p>
<p class="screen">用浏览器“打印”即可得到 A4 纸张，沿虚线剪下张贴。</p></header>
<main class="grid">${cards.join('\n')}</main></body></html>`
}
