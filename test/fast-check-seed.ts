import fc from 'fast-check'

// Property tests draw new inputs on every run, which is how they find what nobody thought of. CI sets
// LINLI_FC_SEED so that a submission is judged on the same inputs it was checked with; a failure
// prints its seed and path, and `LINLI_FC_SEED=<seed> npx vitest run <file>` replays it.
const seed = process.env.LINLI_FC_SEED
if (seed !== undefined && seed !== '') fc.configureGlobal({ seed: Number(seed) })
