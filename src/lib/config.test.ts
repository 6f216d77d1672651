import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './config.js'

const configDir = path.resolve('config')

/** A config folder with the real defaults and the given local.yaml. */
function withLocal(local: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'linli-config-'))
  writeFileSync(path.join(dir, 'default.yaml'), readFileSync(path.join(configDir, 'default.yaml'), 'utf8'))
  writeFileSync(path.join(dir, 'local.yaml'), local)
  return dir
}

describe('loadConfig', () => {
  it('reads the defaults and overlays the environment', () => {
    const c = loadConfig(
      { PORT: '4010', MONGODB_URI: 'mongodb://db.example:27017/linli', OPENAI_MODEL: 'qwen' },
      { configDir },
    )
    expect(c.http.port).toBe(4010)
    expect(c.http.host).toBe('127.0.0.1')
    expect(c.database.uri).toBe('mongodb://db.example:27017/linli')
    expect(c.llm.model).toBe('qwen')
    expect(c.timezone).toBe('Asia/Shanghai')
    expect(Object.isFrozen(c.http)).toBe(true)
  })

  it('names every bad key and what it expects', () => {
    const attempt = () =>
      loadConfig({ PORT: 'eighty', MONGODB_URI: 'postgres://x', LINLI_LOG_LEVEL: 'loud' }, { configDir })
    expect(attempt).toThrow(ConfigError)
    try {
      attempt()
    } catch (err) {
      const problems = (err as ConfigError).problems.join('\n')
      expect(problems).toMatch(/http\.port \(env PORT\)/)
      expect(problems).toMatch(/database\.uri \(env MONGODB_URI\): must start with mongodb:\/\//)
      expect(problems).toMatch(/log\.level \(env LINLI_LOG_LEVEL\)/)
    }
  })

  it('refuses production without secrets and with the development login', () => {
    expect(() =>
      loadConfig(
        { LINLI_ENV: 'production', WECHATY_PUPPET: 'wechaty-puppet-service', LINLI_DEV_LOGIN: 'true' },
        { configDir },
      ),
    ).toThrow(/LINLI_ENCRYPTION_KEY[\s\S]*LINLI_TOKEN_SECRET[\s\S]*never allowed in production/)
  })

  it('reads a pool of bot accounts and refuses one whose token variable is unset, or a duplicate id', () => {
    const local = [
      'wechaty:',
      '  accounts:',
      '    - { id: kanghe, tokenEnv: WECHATY_TOKEN_KANGHE, botName: 康和小助手, dailyBudget: 2000 }',
      '',
    ].join('\n')
    const c = loadConfig({ WECHATY_TOKEN_KANGHE: 'puppet_service_x' }, { configDir: withLocal(local) })
    expect(c.wechaty.accounts).toEqual([
      { id: 'kanghe', tokenEnv: 'WECHATY_TOKEN_KANGHE', botName: '康和小助手', dailyBudget: 2000 },
    ])
    expect(c.wechaty.selfTest).toEqual({ enabled: true, intervalMinutes: 10, timeoutMinutes: 3 })
    expect(() => loadConfig({}, { configDir: withLocal(local) })).toThrow(
      /wechaty\.accounts\[0\] \(kanghe\)\.tokenEnv: the environment variable WECHATY_TOKEN_KANGHE is not set/,
    )
    const twice = 'wechaty:\n  accounts: [{ id: a }, { id: a }, { id: default }]\n'
    expect(() => loadConfig({}, { configDir: withLocal(twice) })).toThrow(
      /`default` is the main account[\s\S]*account ids must differ/,
    )
  })

  it('lets local.yaml override defaults but never carry secrets', () => {
    expect(loadConfig({}, { configDir: withLocal('http:\n  port: 4555\n') }).http.port).toBe(4555)
    expect(() => loadConfig({}, { configDir: withLocal('secrets:\n  tokenSecret: abc\n') })).toThrow(
      /secrets must come from the environment \(LINLI_TOKEN_SECRET|secrets must come from the environment/,
    )
    expect(() => loadConfig({}, { configDir: withLocal('http: [1, 2\n') })).toThrow(/not valid YAML/)
  })

  it('reads SMS and subscribe-message settings: templates from files, keys only from the environment', () => {
    const dir = withLocal(
      'sms:\n  templates:\n    update: { id: 2001, params: [caseNumber, status] }\nminiprogram:\n  templates:\n    reminder: { id: TPL_LONG, kind: long, fields: { thing1: text } }\n',
    )
    const c = loadConfig(
      { TENCENTCLOUD_SECRET_ID: 'AKID1', LINLI_SMS_SIGN_NAME: '邻里社区' },
      { configDir: dir },
    )
    expect(c.sms).toMatchObject({
      secretId: 'AKID1',
      signName: '邻里社区',
      endpoint: 'https://sms.tencentcloudapi.com',
    })
    expect(c.sms.templates.update).toEqual({ id: '2001', params: ['caseNumber', 'status'] })
    expect(c.miniprogram.templates.reminder).toEqual({
      id: 'TPL_LONG',
      kind: 'long',
      fields: { thing1: 'text' },
    })
    expect(() =>
      loadConfig(
        {
          LINLI_ENV: 'production',
          LINLI_ENCRYPTION_KEY: 'k',
          LINLI_TOKEN_SECRET: 't',
          WECHATY_PUPPET: 'x',
          TENCENTCLOUD_SECRET_ID: 'AKID1',
        },
        { configDir },
      ),
    ).toThrow(/sms .*set all four or none/)
    expect(() => loadConfig({}, { configDir: withLocal('sms:\n  secretKey: abc\n') })).toThrow(
      /sms\.secretKey: secrets must come from the environment \(TENCENTCLOUD_SECRET_KEY\)/,
    )
  })
})
