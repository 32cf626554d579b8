/**
 * The markdown tables of the reference results (scripts/reference-results.ts → docs/models.md).
 * Pure: a results object in, markdown out.
 */

export interface Row {
  dataset: string;
  method: string;
  kind: string;
  trainRows: number;
  testRows: number;
  accuracy: number;
  macroF1: number;
  trainSeconds: number;
  predictMicros: number;
  version: string;
  note?: string;
}

export interface ProfileRow {
  dataset: string;
  classifier: string;
  users: number;
  comments: number;
  perComment: number;
  top1: number;
  top3Recall: number;
  majorityVote: number;
  meanProbability: number;
  gain: number;
  /** L1 between profile shares and true proportions (absent in results written before it existed). */
  shareError?: number;
}

export interface Reference {
  generatedAt: string;
  machine: { cpus: number; cpu: string; node: string };
  embedder: string;
  seed: number;
  minutes: number;
  trainRows: Record<string, string>;
  rows: Row[];
  profiles: ProfileRow[];
  notes: string[];
}

/** The linear-probe macro-F1 the issue measured (on the full training sets) and its zero-shot figures. */
export const TARGETS: Record<string, { linear: number; zeroShot: number }> = {
  clinc150_en: { linear: 0.89, zeroShot: 0.5 },
  sib200_en: { linear: 0.72, zeroShot: 0.4 },
  sib200_zh: { linear: 0.84, zeroShot: 0.69 },
  csl_titles_zh: { linear: 0.66, zeroShot: 0.35 },
};

const f3 = (x: number) => x.toFixed(3);
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`;

export function renderMarkdown(r: Reference): string {
  const out: string[] = [];
  out.push(
    `Generated ${r.generatedAt.slice(0, 16).replace('T', ' ')} UTC by \`npm run models:reference\` (${r.minutes} min on ${r.machine.cpus} × ${r.machine.cpu}, Node ${r.machine.node}; embedder ${r.embedder}; seed ${r.seed}). Trained on every split but the test split (\`portrait train\`'s default: train + dev / val), scored on the test split; seconds are wall-clock on a shared machine.`,
    '',
    '| data set | method | kind | train rows | test rows | accuracy | macro-F1 | train s | predict µs | note |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---|',
  );
  for (const x of r.rows) {
    out.push(`| ${x.dataset} | ${x.method} | ${x.kind} | ${x.trainRows || '–'} | ${x.testRows} | ${f3(x.accuracy)} | **${f3(x.macroF1)}** | ${x.trainSeconds || '–'} | ${x.predictMicros} | ${x.note ?? ''} |`);
  }
  out.push('', '**Against the targets** (macro-F1; the linear-probe figures were measured on the full training sets):', '');
  out.push('| data set | train rows here | linear-probe target | default (auto) | rf | zero-shot | zero-shot target (≤ 10 pts below the probe) |', '|---|---|---:|---:|---:|---:|---|');
  for (const [ds, t] of Object.entries(TARGETS)) {
    const get = (m: string) => r.rows.find((x) => x.dataset === ds && x.method === m);
    const auto = get('auto (default)');
    if (!auto) continue;
    const rf = get('rf');
    const zs = get('zero-shot');
    const zsGoal = ds.endsWith('_zh') ? `${f3(t.linear - 0.1)}: ${zs && zs.macroF1 >= t.linear - 0.1 ? 'met' : 'not met'}` : 'n/a (English set)';
    out.push(
      `| ${ds} | ${r.trainRows[ds] ?? ''} | ${f3(t.linear)} | ${f3(auto.macroF1)} (${pts(auto.macroF1 - t.linear)}, ${auto.macroF1 >= t.linear ? 'met' : 'not met'}) | ${rf ? f3(rf.macroF1) : '–'} | ${zs ? `${f3(zs.macroF1)} (was ${f3(t.zeroShot)})` : '–'} | ${zsGoal} |`,
    );
  }
  if (r.notes.length > 0) out.push('', ...r.notes.map((n) => `- ${n}`));
  return `${out.join('\n')}\n`;
}

/** What the profile table needs: written by a full run and by `--profiles-only`. */
export type ProfilesReference = Pick<Reference, 'generatedAt' | 'machine' | 'embedder' | 'seed' | 'minutes' | 'profiles'>;

/**
 * The profile-level table (its own block in docs/models.md, so `--profiles-only` can renew it
 * without retraining every classifier).
 */
export function renderProfiles(r: ProfilesReference): string {
  const out: string[] = [
    `Generated ${r.generatedAt.slice(0, 16).replace('T', ' ')} UTC by \`npm run models:reference\` (profiles: ${r.minutes} min on ${r.machine.cpus} × ${r.machine.cpu}; seed ${r.seed}).`,
    '',
    '**Profiles** (`evaluate-profiles`: simulated users with 1-3 latent interests and 5-30 comments drawn from the test split, through Kafka → processor → Redis → profile events; trained classifiers and calibrated zero-shot taxonomies unmix with their confusion, `profile.unmix`). Target: profile top-1 at least 20 points above per-comment accuracy, reachable only where per-comment accuracy is below 0.8 (top-1 cannot pass 1):',
    '',
    '| data set | classifier | users | comments | per-comment accuracy | profile top-1 | gain | +20 target | top-3 recall | majority vote top-1 | mean-probability top-1 | share error |',
    '|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|',
  ];
  for (const p of r.profiles) {
    const target = p.gain >= 0.2 ? 'met' : p.perComment > 0.8 ? `unreachable (ceiling ${pts(1 - p.perComment)})` : 'not met';
    out.push(
      `| ${p.dataset} | ${p.classifier} | ${p.users} | ${p.comments} | ${f3(p.perComment)} | **${f3(p.top1)}** | ${pts(p.gain)} | ${target} | ${f3(p.top3Recall)} | ${f3(p.majorityVote)} | ${f3(p.meanProbability)} | ${p.shareError !== undefined ? f3(p.shareError) : '–'} |`,
    );
  }
  return `${out.join('\n')}\n`;
}
