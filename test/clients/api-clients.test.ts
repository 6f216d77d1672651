import { execFile } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDatabaseUri } from '../db.js'
import { type ServiceWorld, startServiceWorld } from '../e2e/service-world.js'
import { startWechatStandIn, type WechatStandIn } from '../wechat-server.js'

const run = promisify(execFile)
const ROOT = path.resolve(import.meta.dirname, '../..')
const CACHE = process.env.LINLI_CACHE_DIR ?? path.join(ROOT, '.cache')
const SCHEMATHESIS = 'schemathesis==4.32.5'
const VENV = path.join(CACHE, 'py', 'schemathesis-4.32.5')
const ST = path.join(VENV, 'bin', 'st')
/**
 * A cap on the run: with deterministic generation and 10 examples an operation it ends on its own
 * (about three minutes here); the cap keeps a slow machine within a few minutes.
 */
const ST_SECONDS = Number(process.env.LINLI_SCHEMATHESIS_SECONDS ?? 360)

/** schemathesis from PyPI in a virtualenv under LINLI_CACHE_DIR/py, installed on first use. */
async function schemathesis(): Promise<string> {
  if (existsSync(ST)) return ST
  mkdirSync(path.dirname(VENV), { recursive: true })
  await run('python3', ['-m', 'venv', VENV], { timeout: 60_000 })
  await run(
    path.join(VENV, 'bin', 'pip'),
    ['install', '--quiet', '--disable-pip-version-check', SCHEMATHESIS],
    {
      timeout: 300_000,
    },
  )
  return ST
}

/** The part of a schemathesis report a reader needs: the failures and the summary. */
function failuresOf(output: string): string {
  const from = output.indexOf('=== FAILURES ===')
  return (from >= 0 ? output.slice(from) : output).slice(0, 20_000)
}

/**
 * Outside clients read the API through its OpenAPI document: a linter (Redocly, recommended-strict)
 * and schemathesis, which sends thousands of generated requests, valid and invalid, signed in and
 * not, and checks every answer (status, headers, content type, body) against the document.
 */
describe('the OpenAPI document as real clients check it', () => {
  let world: ServiceWorld
  let wechat: WechatStandIn
  let url: string
  let dir: string

  beforeAll(async () => {
    // WeChat login is configured as in production, against the loopback stand-in of jscode2session
    // (unknown codes: errcode 40029), so wx-login answers as it would for a real mini-program.
    wechat = await startWechatStandIn('wx-clients', 'clients-secret')
    world = await startServiceWorld(testDatabaseUri('clients'), {
      devLogin: { enabled: true },
      wechat: { appId: 'wx-clients', appSecret: 'clients-secret', code2SessionUrl: wechat.url },
      // The fuzzer sends far more than a person could; the limiter would answer most of it with 429.
      http: { rateLimit: { perIpPerMinute: 1_000_000, perPersonPerMinute: 1_000_000 } },
    })
    url = (world.service.url as string).replace(/\/$/, '')
    dir = await mkdtemp(path.join(tmpdir(), 'linli-clients-'))
    await writeFile(path.join(dir, 'openapi.json'), await (await fetch(`${url}/api/v1/openapi.json`)).text())
  }, 120_000)

  afterAll(async () => {
    await world?.stop()
    await wechat?.close()
  })

  it('passes the Redocly linter with no error and no warning', async () => {
    const bin = path.join(ROOT, 'node_modules', '.bin', 'redocly')
    const result = await run(bin, ['lint', path.join(dir, 'openapi.json'), '--extends=recommended-strict'], {
      timeout: 120_000,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    }).then(
      (r) => ({ ok: true, out: r.stdout + r.stderr }),
      (err: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${err.stdout}${err.stderr}` }),
    )
    expect(result.out).toContain('Your API description is valid')
    expect(result.ok, result.out).toBe(true)
  }, 150_000)

  it('passes every schemathesis check, signed in as community staff, on the demo community', async () => {
    const st = await schemathesis()
    const login = await fetch(`${url}/api/v1/auth/dev-login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: world.seed.communityStaff[0]?.name }),
    })
    expect(login.status).toBe(200)
    const { accessToken } = (await login.json()) as { accessToken: string }
    const junit = path.join(dir, 'schemathesis.xml')
    const args = [
      '--config-file',
      path.join(import.meta.dirname, 'schemathesis.toml'),
      'run',
      `${url}/api/v1/openapi.json`,
      '--url',
      url,
      '-H',
      `Authorization: Bearer ${accessToken}`,
      '--phases',
      'examples,coverage,fuzzing',
      '--max-examples',
      '10',
      '--seed',
      '20261128',
      // Deterministic generation keeps no example database: each run is the same run.
      '--generation-deterministic',
      '--max-time',
      String(ST_SECONDS),
      '--no-color',
      '--report',
      'junit',
      '--report-junit-path',
      junit,
    ]
    const result = await run(st, args, {
      timeout: (ST_SECONDS + 240) * 1000,
      maxBuffer: 64 * 1024 * 1024,
    }).then(
      (r) => ({ code: 0, out: r.stdout }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({
        code: err.code ?? 1,
        out: `${err.stdout}${err.stderr}`,
      }),
    )
    const report = existsSync(junit) ? await readFile(junit, 'utf8') : ''
    // It ran against the API (not an empty document) and found nothing.
    expect(Number(/tests="(\d+)"/.exec(report)?.[1] ?? 0)).toBeGreaterThan(100)
    expect(result.code, failuresOf(result.out)).toBe(0)
  }, 600_000)
})
