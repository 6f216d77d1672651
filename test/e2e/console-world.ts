import { mkdir } from 'node:fs/promises'
import { type Browser, chromium, type Page } from 'playwright-core'
import { expect } from 'vitest'
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

/** A new 1366×768 page signed in as the staff member of that name (dev login); page errors fail the test. */
export async function signIn(browser: Browser, url: string, name: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } })
  page.on('pageerror', (err) => {
    throw err
  })
  await page.goto(`${url}/console/`)
  await page
    .getByRole('button', { name: new RegExp(name) })
    .first()
    .click()
  await expect.poll(() => page.textContent('#who-name')).toBe(name)
  return page
}
