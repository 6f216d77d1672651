#!/bin/sh
# Summary of the in-memory replica over every set: false abstentions, uncovered answered, top-1 misses.
S=/work/shared/eval-dev
run() { npx tsx eval/kb-debug.ts "$@" 2>&1 | awk -v set="$1" '$1=="ok "||$1=="ok"{ if ($2<0.4) fa++; n++ } $1=="BAD"{bad++; n++; if ($2<0.4) fa++} $1=="UNC"{u++; if ($2>=0.4) ua++} END{printf "%-28s covered %d top1-miss %d false-abstain %d | uncovered %d answered %d\n", set, n, bad, fa, u, ua}'; }
run $S/qa.jsonl $S/kb
run eval/kb-hard.jsonl $S/kb eval/kb-extra
run eval/kb-holdout.jsonl $S/kb eval/kb-extra
run eval/kb-fresh-1.jsonl $S/kb eval/kb-extra eval/kb-fresh
[ -f eval/kb-fresh-2.jsonl ] && [ -n "$FRESH2" ] && run eval/kb-fresh-2.jsonl $S/kb eval/kb-extra eval/kb-fresh eval/kb-fresh-2
true
