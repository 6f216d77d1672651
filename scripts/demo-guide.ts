import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import type { ImportSummary, KbService } from '../src/services/kb/kb.service.js'

// The demo's own policy corpus (demo/kb/) and the policy questions its guide suggests
// (demo/guide.json), shared by `npm run demo` and the test that checks every one is answered.

/** The policy documents written for the demo community 康和社区. */
export const DEMO_KB_DIR = fileURLToPath(new URL('../demo/kb', import.meta.url))
const GUIDE_FILE = fileURLToPath(new URL('../demo/guide.json', import.meta.url))

const GuideQuestion = z.object({
  /** Asked as a resident would ask it in the group. */
  q: z.string().min(1),
  /** The id of the document (file name without extension) the answer must come from. */
  doc: z.string().min(1),
  /** Strings the answer must all contain; "a|b" accepts either. */
  fact: z.array(z.string().min(1)).min(1),
})
export type GuideQuestion = z.infer<typeof GuideQuestion>

/** The guide's questions, in order: the first is the one the printed guide walks through. */
export function loadDemoGuide(file = GUIDE_FILE): GuideQuestion[] {
  return z
    .array(GuideQuestion)
    .min(1)
    .parse(JSON.parse(readFileSync(file, 'utf8')))
}

/** The facts an answer text lacks (empty when it holds them all). */
export function missingFacts(answer: string, fact: string[]): string[] {
  return fact.filter((f) => !f.split('|').some((alt) => answer.includes(alt)))
}

/**
 * Documents earlier versions of the demo imported from the evaluation corpora (ids not used by
 * demo/kb/). The demo removes them from its database, so they cannot answer the guide's questions.
 */
export const EARLIER_DEMO_DOCS = [
  'community-service-station',
  'elevator-safety',
  'parking-rules',
  'volunteer-registration',
  'winter-heating-complaints',
  'elderly-allowance-pension',
  'medical-insurance-reimbursement',
  'school-enrollment',
]

/**
 * Imports the policy documents written for the demo community (demo/kb/; unchanged ones are skipped)
 * after removing the sample documents earlier versions of the demo imported.
 */
export async function importDemoPolicies(kb: KbService): Promise<ImportSummary> {
  for (const id of EARLIER_DEMO_DOCS) await kb.removeDocument(id)
  return kb.importFolder(DEMO_KB_DIR)
}
