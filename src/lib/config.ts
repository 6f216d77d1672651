import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { CHANNEL_NAMES, MESSAGE_PURPOSES } from '../services/channels/channel.js'

const Port = z.coerce.number().int().min(0).max(65535)
const PositiveInt = z.coerce.number().int().positive()
const Bool = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
])

const PointsKindRules = z.object({
  awardedBy: z.array(z.enum(['grid_worker', 'community_staff', 'street_staff', 'admin'])).min(1),
  reasonRequired: Bool.default(false),
  rules: z.record(z.string().min(1).max(30), PositiveInt),
})

export const ConfigSchema = z.object({
  env: z.enum(['development', 'test', 'production']),
  timezone: z.string().min(1),
  http: z.object({
    host: z.string().min(1),
    port: Port,
    bodyLimitKb: PositiveInt,
    uploadLimitMb: PositiveInt,
    /** Requests per minute and process: per client address, then per signed-in person (429 over it). */
    rateLimit: z.object({ perIpPerMinute: PositiveInt, perPersonPerMinute: PositiveInt }),
  }),
  database: z.object({
    uri: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
      .optional(),
    embedded: z.object({
      dataDir: z.string().min(1),
      cacheDir: z.string().min(1),
      port: Port,
      backend: z.enum(['auto', 'sqlite', 'postgresql']),
      startTimeoutMs: PositiveInt,
    }),
  }),
  log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) }),
  llm: z.object({
    baseUrl: z.url().optional(),
    apiKey: z.string().optional(),
    model: z.string().optional(),
    embeddingModel: z.string().optional(),
    audioModel: z.string().optional(),
    timeoutMs: PositiveInt,
    maxRetries: z.coerce.number().int().min(0).max(5),
    perResidentPerHour: PositiveInt,
    globalPerMinute: PositiveInt,
  }),
  wechaty: z.object({
    puppet: z.string().min(1),
    puppetToken: z.string().optional(),
    botName: z.string().min(1),
    /** Start the bot and the outbox sender with the service (off for API-only processes). */
    enabled: Bool.default(true),
    /**
     * More bot accounts beside the main one (whose id is `default`): a pool. Each runs its own puppet
     * and sender with its own budget and pacing, and sends to the groups and people it has heard from.
     */
    accounts: z
      .array(
        z.object({
          id: z
            .string()
            .regex(/^[a-z0-9_-]{1,32}$/, 'lower-case letters, digits, _ or -')
            .refine((id) => id !== 'default', '`default` is the main account'),
          /** Default: the main account's puppet. */
          puppet: z.string().min(1).optional(),
          /** The environment variable holding this account's puppet token (tokens never live in files). */
          tokenEnv: z
            .string()
            .regex(/^[A-Z][A-Z0-9_]*$/)
            .optional(),
          botName: z.string().min(1).optional(),
          /** This account's pace and daily budget; default `outbox.perMinute` / `outbox.dailyBudget`. */
          perMinute: PositiveInt.optional(),
          dailyBudget: PositiveInt.optional(),
          /** The contact its self-test probe goes to; default the next account in the pool. */
          selfTestContact: z.string().min(1).optional(),
        }),
      )
      .default([])
      .refine((list) => new Set(list.map((a) => a.id)).size === list.length, 'account ids must differ'),
    /**
     * The self-test: every `intervalMinutes` each account sends a probe to a known contact (another
     * account of the pool, or `contact`), which must come back within `timeoutMinutes`.
     */
    selfTest: z
      .object({
        enabled: Bool.default(true),
        intervalMinutes: PositiveInt.default(10),
        timeoutMinutes: PositiveInt.default(3),
        /** The main account's probe contact (a contact id); default the next account in the pool. */
        contact: z.string().min(1).optional(),
      })
      .prefault({}),
  }),
  wechat: z
    .object({
      appId: z.string().optional(),
      appSecret: z.string().optional(),
      code2SessionUrl: z.url().default('https://api.weixin.qq.com/sns/jscode2session'),
    })
    .prefault({}),
  /** Tencent Cloud SMS (短信): templates by name, each with its approved id and parameter names in order. */
  sms: z
    .object({
      secretId: z.string().optional(),
      secretKey: z.string().optional(),
      sdkAppId: z.string().optional(),
      signName: z.string().optional(),
      region: z.string().min(1).default('ap-guangzhou'),
      endpoint: z.url().default('https://sms.tencentcloudapi.com'),
      timeoutMs: PositiveInt.default(8000),
      templates: z
        .record(
          z.string(),
          z.object({ id: z.coerce.string().min(1), params: z.array(z.string()).default([]) }),
        )
        .default({}),
    })
    .prefault({}),
  /**
   * Mini-program subscribe messages (订阅消息). The app id and secret are `wechat.appId/appSecret` (the same
   * mini-program that logs residents in). Templates by purpose: id, once (一次性) or long (长期), the page
   * opened, and which message value fills each template field (`thing1: title`).
   */
  miniprogram: z
    .object({
      apiBase: z.url().default('https://api.weixin.qq.com'),
      timeoutMs: PositiveInt.default(8000),
      templates: z
        .record(
          z.string(),
          z.object({
            id: z.string().min(1),
            kind: z.enum(['once', 'long']).default('once'),
            page: z.string().optional(),
            fields: z.record(z.string(), z.string()).default({}),
          }),
        )
        .default({}),
    })
    .prefault({}),
  /** WeCom (企业微信) self-built app for staff and group robots; disabled while corpId/secret are unset. */
  wecom: z
    .object({
      corpId: z.string().default(''),
      agentId: z.coerce.number().int().min(0).default(0),
      /** Secrets: from the environment only (WECOM_SECRET, WECOM_TOKEN, WECOM_ENCODING_AES_KEY). */
      secret: z.string().optional(),
      token: z.string().optional(),
      encodingAesKey: z
        .string()
        .regex(/^[A-Za-z0-9]{43}$/, 'must be the 43-character EncodingAESKey')
        .optional(),
      /** The API's base URL; a loopback stand-in in tests. */
      apiBase: z.url().default('https://qyapi.weixin.qq.com'),
      /** Where a case card's link points, `{number}` replaced by the case number; empty: plain text. */
      caseLinkTemplate: z.string().default(''),
      /** A case message with a link: 文本卡片 (textcard) or 模板卡片 (template_card). */
      caseCard: z.enum(['textcard', 'template_card']).default('textcard'),
      /** Group robots: name → webhook URL (the URL carries the robot's key). */
      robots: z.record(z.string(), z.url()).default({}),
      /**
       * A staff group's feed: robot name → the communities (codes; none: all) whose morning figures
       * and overdue-case escalations it posts.
       */
      robotFeeds: z
        .record(z.string(), z.object({ communities: z.array(z.string().min(1)).default([]) }))
        .default({}),
      /**
       * 微信客服 (docs/channels.md): the 客服账号's open_kfid; its access token comes from the 微信客服
       * Secret (WECOM_KF_SECRET, environment only) or, unset, the app's secret (an app granted the
       * 微信客服 API). Off until enabled with an open_kfid.
       */
      kf: z
        .object({
          enabled: Bool.default(false),
          openKfId: z.string().default(''),
          secret: z.string().optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  secrets: z
    .object({
      /** 32 bytes, hex or base64: AES-256-GCM key for phone and ID numbers at rest. */
      encryptionKey: z.string().optional(),
      /** Earlier keys still accepted for decryption during rotation, comma separated. */
      previousEncryptionKeys: z.string().optional(),
      /** Signs access tokens and keys the lookup hashes. */
      tokenSecret: z.string().optional(),
    })
    .prefault({}),
  outbox: z.object({
    perMinute: PositiveInt,
    jitterMs: z.coerce.number().int().min(0),
    dailyBudget: PositiveInt,
    maxAttempts: PositiveInt,
    /** Share (%) of the per-minute and daily budgets only replies and urgent alerts may use. */
    replyReservePercent: z.coerce.number().int().min(0).max(90).default(20),
    /** Most (%) of a minute's budget reminders and broadcasts may use. */
    bulkPercent: z.coerce.number().int().min(1).max(100).default(50),
  }),
  /** The channel layer (docs/channels.md): failover order per purpose, per-channel limits. */
  channels: z
    .object({
      /** Channels to try, in order, per message purpose; a purpose not listed goes by Wechaty only. */
      order: z.partialRecord(z.enum(MESSAGE_PURPOSES), z.array(z.enum(CHANNEL_NAMES))).default({}),
      /** Per-channel pace and daily quota, counted from the messages each channel delivered. */
      limits: z
        .partialRecord(z.enum(CHANNEL_NAMES), z.object({ perMinute: PositiveInt, daily: PositiveInt }))
        .default({}),
      /** How many `unavailable` failures in a row on one channel before a message moves to the next. */
      unavailableTries: PositiveInt.default(3),
      /**
       * People with one of these registry tags (elderly living alone…) get SMS first for the purposes
       * whose order lists SMS: a case update lands on the phone they read, not only in a group.
       */
      smsFirstTags: z
        .array(z.string().min(1))
        .default(['独居老人', '空巢老人', '高龄老人', '孤寡老人', '老年人', '不会用微信']),
      /**
       * Who is told when a channel has been down or degraded for `afterMinutes`, and again when it is
       * back: people with these roles (by their own reachable channels) and these WeCom group robots.
       */
      alerts: z
        .object({
          afterMinutes: PositiveInt.default(5),
          roles: z.array(z.string().min(1)).default(['admin', 'street_staff']),
          robots: z.array(z.string().min(1)).default([]),
        })
        .prefault({}),
    })
    .prefault({}),
  cases: z.object({
    duplicateWindowHours: PositiveInt,
    reopenWindowDays: PositiveInt,
    claimWindowMinutes: PositiveInt,
    followUpDelayHours: PositiveInt,
  }),
  points: z.object({
    monthlyCap: PositiveInt,
    perReason: z.object({
      report_verified: PositiveInt,
      rating_given: PositiveInt,
      volunteer_hours: PositiveInt,
      event_checkin: PositiveInt,
    }),
    /**
     * Per kind of points (activity = 活动积分, conduct = 品德积分): who may award them and the rules
     * (name → points) an award names. Conduct points always need a written reason.
     */
    kinds: z
      .object({
        activity: PointsKindRules.prefault({
          awardedBy: ['grid_worker', 'community_staff', 'admin'],
          rules: { 志愿服务: 5, 参加活动: 3, 环境整治: 5 },
        }),
        conduct: PointsKindRules.prefault({
          awardedBy: ['community_staff', 'admin'],
          reasonRequired: true,
          rules: { 助人为乐: 10, 见义勇为: 30, 邻里互助: 5, 孝老爱亲: 10 },
        }),
      })
      .prefault({}),
    /** Shop pickups: an open redemption not picked up within this many days expires and is refunded. */
    redemptionDays: PositiveInt.default(14),
  }),
  retention: z.object({ messageDays: PositiveInt }),
  jobs: z.object({ enabled: Bool, leaseSeconds: PositiveInt.default(600) }),
  /** Volunteers (志愿服务): the skills offered and how many matching volunteers each need goes to. */
  volunteers: z
    .object({
      skills: z
        .array(z.string().min(1).max(10))
        .min(1)
        .default(['陪诊', '维修', '助餐', '代购', '陪聊', '理发']),
      offerTo: PositiveInt.max(20).default(3),
    })
    .prefault({}),
  /** Speech to text for voice messages: an OpenAI-compatible `/audio/transcriptions` endpoint (off while unset). */
  speech: z
    .object({
      endpoint: z.url().optional(),
      apiKey: z.string().optional(),
      model: z.string().min(1).default('whisper-1'),
      timeoutMs: PositiveInt.default(15000),
    })
    .prefault({}),
  events: z
    .object({ reminderOffsetsMinutes: z.array(PositiveInt).min(1).max(5).default([1440, 60]) })
    .prefault({}),
  notices: z
    .object({
      confirmAboveRooms: PositiveInt.default(20),
      confirmAbovePersons: PositiveInt.default(200),
      ackFollowUpHours: PositiveInt.default(24),
      vulnerableTags: z.array(z.string().min(1)).default(['独居老人', '空巢老人', '残疾人', '重病患者']),
    })
    .prefault({}),
  sla: z
    .object({
      warnAtFraction: z.coerce.number().gt(0).lt(1).default(0.75),
      escalationStepMinutes: PositiveInt.default(240),
      urgentEscalationStepMinutes: PositiveInt.default(30),
    })
    .prefault({}),
  digests: z.object({ hour: z.coerce.number().int().min(0).max(23).default(8) }).prefault({}),
  simulator: z.object({ enabled: Bool }),
  kb: z
    .object({
      vocabularyFile: z.string().min(1).default('config/kb-synonyms.yaml'),
      abstainModelFile: z.string().min(1).default('config/kb-abstain-model.json'),
      minCoverage: z.coerce.number().min(0).max(1).default(0.4),
      minCosine: z.coerce.number().min(0).max(1).default(0.8),
      chunkMinChars: PositiveInt.default(20),
      chunkMaxChars: PositiveInt.default(400),
      passages: PositiveInt.default(4),
      refreshSeconds: PositiveInt.default(30),
      maxDocumentKb: PositiveInt.default(1024),
      /** A document is due for review this many months after its issue (or import) date. */
      reviewMonths: PositiveInt.default(24),
    })
    .prefault({}),
  devLogin: z.object({ enabled: Bool }).default({ enabled: false }),
})

export type Config = Readonly<z.infer<typeof ConfigSchema>>

/** Environment variable → config path. Every variable here is documented in .env.example. */
export const ENV_KEYS: Readonly<Record<string, string>> = {
  LINLI_ENV: 'env',
  LINLI_TIMEZONE: 'timezone',
  HOST: 'http.host',
  PORT: 'http.port',
  LINLI_RATE_LIMIT_PER_IP: 'http.rateLimit.perIpPerMinute',
  LINLI_RATE_LIMIT_PER_PERSON: 'http.rateLimit.perPersonPerMinute',
  MONGODB_URI: 'database.uri',
  LINLI_DATA_DIR: 'database.embedded.dataDir',
  LINLI_CACHE_DIR: 'database.embedded.cacheDir',
  LINLI_DB_PORT: 'database.embedded.port',
  LINLI_DB_BACKEND: 'database.embedded.backend',
  LINLI_EMBEDDED_BACKEND: 'database.embedded.backend',
  LINLI_LOG_LEVEL: 'log.level',
  OPENAI_BASE_URL: 'llm.baseUrl',
  OPENAI_API_KEY: 'llm.apiKey',
  OPENAI_MODEL: 'llm.model',
  OPENAI_EMBEDDING_MODEL: 'llm.embeddingModel',
  OPENAI_AUDIO_MODEL: 'llm.audioModel',
  LINLI_LLM_TIMEOUT_MS: 'llm.timeoutMs',
  LINLI_SPEECH_ENDPOINT: 'speech.endpoint',
  LINLI_SPEECH_API_KEY: 'speech.apiKey',
  LINLI_SPEECH_MODEL: 'speech.model',
  WECHATY_PUPPET: 'wechaty.puppet',
  WECHATY_PUPPET_SERVICE_TOKEN: 'wechaty.puppetToken',
  WECHATY_PUPPET_TOKEN: 'wechaty.puppetToken',
  LINLI_BOT_NAME: 'wechaty.botName',
  LINLI_BOT_ENABLED: 'wechaty.enabled',
  WECHAT_APP_ID: 'wechat.appId',
  WECHAT_APP_SECRET: 'wechat.appSecret',
  WECHAT_CODE2SESSION_URL: 'wechat.code2SessionUrl',
  WECHAT_API_BASE: 'miniprogram.apiBase',
  TENCENTCLOUD_SECRET_ID: 'sms.secretId',
  TENCENTCLOUD_SECRET_KEY: 'sms.secretKey',
  LINLI_SMS_SDK_APP_ID: 'sms.sdkAppId',
  LINLI_SMS_SIGN_NAME: 'sms.signName',
  LINLI_SMS_REGION: 'sms.region',
  LINLI_SMS_ENDPOINT: 'sms.endpoint',
  WECOM_CORP_ID: 'wecom.corpId',
  WECOM_AGENT_ID: 'wecom.agentId',
  WECOM_SECRET: 'wecom.secret',
  WECOM_TOKEN: 'wecom.token',
  WECOM_ENCODING_AES_KEY: 'wecom.encodingAesKey',
  WECOM_API_BASE: 'wecom.apiBase',
  WECOM_KF_ENABLED: 'wecom.kf.enabled',
  WECOM_KF_OPEN_KFID: 'wecom.kf.openKfId',
  WECOM_KF_SECRET: 'wecom.kf.secret',
  LINLI_ENCRYPTION_KEY: 'secrets.encryptionKey',
  LINLI_PREVIOUS_ENCRYPTION_KEYS: 'secrets.previousEncryptionKeys',
  LINLI_TOKEN_SECRET: 'secrets.tokenSecret',
  LINLI_OUTBOX_PER_MINUTE: 'outbox.perMinute',
  LINLI_OUTBOX_DAILY_BUDGET: 'outbox.dailyBudget',
  LINLI_JOBS_ENABLED: 'jobs.enabled',
  LINLI_SIMULATOR_ENABLED: 'simulator.enabled',
  LINLI_DEV_LOGIN: 'devLogin.enabled',
  LINLI_RETENTION_DAYS: 'retention.messageDays',
}

/** Config paths that may only come from the environment. */
const SECRET_PATHS = [
  'secrets',
  'llm.apiKey',
  'speech.apiKey',
  'wechat.appSecret',
  'wechaty.puppetToken',
  'sms.secretId',
  'sms.secretKey',
  'wecom.secret',
  'wecom.token',
  'wecom.encodingAesKey',
  'wecom.kf.secret',
]

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Linli cannot start: the configuration is not valid.\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    )
    this.name = 'ConfigError'
  }
}

type Tree = Record<string, unknown>

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base }
  for (const [k, v] of Object.entries(over)) {
    const b = out[k]
    out[k] = isTree(b) && isTree(v) ? deepMerge(b, v) : v
  }
  return out
}

function setPath(tree: Tree, dotted: string, value: unknown): void {
  const keys = dotted.split('.')
  let node = tree
  for (const k of keys.slice(0, -1)) {
    const next = node[k]
    if (!isTree(next)) node[k] = {}
    node = node[k] as Tree
  }
  node[keys.at(-1) as string] = value
}

function getPath(tree: Tree, dotted: string): unknown {
  let node: unknown = tree
  for (const k of dotted.split('.')) {
    if (!isTree(node)) return undefined
    node = node[k]
  }
  return node
}

function readYaml(file: string, problems: string[]): Tree {
  if (!existsSync(file)) return {}
  try {
    const parsed: unknown = parseYaml(readFileSync(file, 'utf8'))
    if (parsed === null || parsed === undefined) return {}
    if (!isTree(parsed)) {
      problems.push(`${file}: expected a mapping of settings at the top level`)
      return {}
    }
    return parsed
  } catch (err) {
    problems.push(`${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`)
    return {}
  }
}

function envName(configPath: string): string {
  return Object.entries(ENV_KEYS).find(([, p]) => p === configPath)?.[0] ?? configPath
}

export interface LoadConfigOptions {
  /** Folder holding default.yaml and local.yaml. */
  configDir?: string
  /** Extra settings applied last (tests). */
  overrides?: Tree
}

/**
 * Reads config/default.yaml, config/local.yaml and the environment, validates the result and
 * freezes it. Throws ConfigError listing every offending key, so the process can print it and exit.
 */
export function loadConfig(env: NodeJS.ProcessEnv, options: LoadConfigOptions = {}): Config {
  const dir = options.configDir ?? path.resolve(process.cwd(), 'config')
  const problems: string[] = []
  let tree = readYaml(path.join(dir, 'default.yaml'), problems)
  const local = readYaml(path.join(dir, 'local.yaml'), problems)
  for (const secret of SECRET_PATHS) {
    if (getPath(local, secret) !== undefined || getPath(tree, secret) !== undefined) {
      problems.push(
        `${secret}: secrets must come from the environment (${envName(secret)}), not from config files`,
      )
    }
  }
  tree = deepMerge(tree, local)
  for (const [name, configPath] of Object.entries(ENV_KEYS)) {
    const value = env[name]
    if (value !== undefined && value !== '') setPath(tree, configPath, value)
  }
  if (env.NODE_ENV === 'production' && env.LINLI_ENV === undefined) setPath(tree, 'env', 'production')
  if (options.overrides) tree = deepMerge(tree, options.overrides)

  const result = ConfigSchema.safeParse(tree)
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.join('.')
      const from = envName(key) !== key ? ` (env ${envName(key)})` : ''
      problems.push(`${key}${from}: ${issue.message}`)
    }
  }
  if (result.success) problems.push(...checkProduction(result.data), ...checkBotAccounts(result.data, env))
  if (problems.length > 0 || !result.success) throw new ConfigError(problems)
  return deepFreeze(result.data)
}

function checkProduction(c: z.infer<typeof ConfigSchema>): string[] {
  if (c.env !== 'production') return []
  const out: string[] = []
  if (!c.secrets.encryptionKey)
    out.push('secrets.encryptionKey (env LINLI_ENCRYPTION_KEY): required in production')
  if (!c.secrets.tokenSecret) out.push('secrets.tokenSecret (env LINLI_TOKEN_SECRET): required in production')
  if (c.devLogin.enabled) out.push('devLogin.enabled (env LINLI_DEV_LOGIN): never allowed in production')
  const sms = [c.sms.secretId, c.sms.secretKey, c.sms.sdkAppId, c.sms.signName]
  if (sms.some(Boolean) && !sms.every(Boolean)) {
    out.push(
      'sms (env TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY, LINLI_SMS_SDK_APP_ID, LINLI_SMS_SIGN_NAME): set all four or none',
    )
  }
  if (c.wechaty.puppet === 'wechaty-puppet-mock') {
    out.push('wechaty.puppet (env WECHATY_PUPPET): the mock puppet is for development; set a real puppet')
  }
  return out
}

/** A pool account whose token variable is unset would scan-loop forever; a mock one has no place in production. */
function checkBotAccounts(c: z.infer<typeof ConfigSchema>, env: NodeJS.ProcessEnv): string[] {
  const out: string[] = []
  for (const [i, a] of c.wechaty.accounts.entries()) {
    if (a.tokenEnv && !env[a.tokenEnv])
      out.push(`wechaty.accounts[${i}] (${a.id}).tokenEnv: the environment variable ${a.tokenEnv} is not set`)
    if (c.env === 'production' && (a.puppet ?? c.wechaty.puppet) === 'wechaty-puppet-mock')
      out.push(
        `wechaty.accounts[${i}] (${a.id}).puppet: the mock puppet is for development; set a real puppet`,
      )
  }
  return out
}

function deepFreeze<T>(value: T): T {
  if (isTree(value)) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
