import { mkdir } from 'node:fs/promises'
import { type Browser, chromium, type Page } from 'playwright-core'
import { testDatabaseUri } from '../db.js'
import { type ServiceWorld, startServiceWorld } from './service-world.js'

// Screenshots the docs show (docs/console.md); console/dist is built by the global setup.
const SHOTS = 'docs/console'

/** Saves a full-page screenshot as docs/console/<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true })
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true })
}

/** The whole service with dev login on (staff sign in by picking their name), and Debian's Chromium. */
export async function startConsoleWorld(dbName: string): Promise<{ world: ServiceWorld; browser: Browser }> {
  const world = await startServiceWorld(testDatabaseUri(dbName), { devLogin: { enabled: true } })
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-sync',
    ],
  })
  return { world, browser }
}
