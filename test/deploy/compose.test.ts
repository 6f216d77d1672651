import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ENV_KEYS } from '../../src/lib/config.js'

// Docker is not available where the tests run: compose.yaml is checked as data (it parses, every
// variable it sets is one the config reads, the health checks hit routes that exist).
const root = path.resolve(import.meta.dirname, '../..')
const read = (f: string) => readFileSync(path.join(root, f), 'utf8')

interface Service {
  image?: string
  build?: string
  command?: string[]
  environment?: Record<string, string>
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
  volumes?: string[]
}

describe('compose.yaml (production on MongoDB 7)', () => {
  const compose = parse(read('compose.yaml')) as { services: Record<string, Service>; volumes: object }
  const { mongo, linli } = compose.services as { mongo: Service; linli: Service }

  it('runs MongoDB 7 as a replica set that initiates itself and is healthy once primary', () => {
    expect(mongo.image).toMatch(/^mongo:7(\.|$)/)
    expect(mongo.command).toEqual(expect.arrayContaining(['--replSet', 'rs0']))
    const check = mongo.healthcheck?.test.join(' ') ?? ''
    expect(check).toContain("rs.initiate({ _id: 'rs0'")
    expect(check).toContain('isWritablePrimary')
    expect(mongo.volumes?.some((v) => v.endsWith(':/data/db'))).toBe(true)
  })

  it('builds Linli from the Dockerfile, waits for the database and keeps its data on a volume', () => {
    expect(linli.build).toBe('.')
    expect(read('Dockerfile')).toContain('CMD ["node", "dist/main.js"]')
    expect(linli.depends_on?.mongo?.condition).toBe('service_healthy')
    expect(linli.environment?.MONGODB_URI).toMatch(/^mongodb:\/\/mongo:27017\/linli\?replicaSet=rs0$/)
    const dataDir = linli.environment?.LINLI_DATA_DIR
    expect(linli.volumes?.some((v) => v.endsWith(`:${dataDir}`))).toBe(true)
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['mongo-data', 'linli-data']))
  })

  it('sets only variables the config reads', () => {
    const set = Object.keys(linli.environment ?? {})
    // NODE_ENV is read by loadConfig too (production unless LINLI_ENV says otherwise).
    const unknown = set.filter((k) => !(k in ENV_KEYS) && k !== 'NODE_ENV')
    expect(unknown).toEqual([])
    expect(read('src/lib/config.ts')).toContain("env.NODE_ENV === 'production'")
  })

  it('health-checks a route the service has', () => {
    const check = linli.healthcheck?.test.join(' ') ?? ''
    const route = /127\.0\.0\.1:3000(\/\w+)/.exec(check)?.[1]
    expect(route).toBe('/readyz')
    expect(read('src/http/health.routes.ts')).toContain(`router.get('${route}'`)
    expect(linli.environment?.PORT).toBe('3000')
  })
})
