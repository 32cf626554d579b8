/**
 * The interest taxonomy (config/taxonomy.yaml): labels with Chinese and English names and short
 * descriptions in both languages, from which the zero-shot classifier builds its prototypes.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PortraitError } from '../util/errors.js';

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });
export const MAX_DESCRIPTIONS = 32;
const descriptions = z
  .array(text(200))
  .min(1, { error: `needs 1-${MAX_DESCRIPTIONS} descriptions` })
  .max(MAX_DESCRIPTIONS, { error: `needs 1-${MAX_DESCRIPTIONS} descriptions` });

export const LABEL_ID = /^[a-z][a-z0-9_]{0,63}$/;

export const TaxonomyLabel = z.strictObject({
  id: z.string().regex(LABEL_ID, { error: 'must be lower snake_case (a-z, 0-9, _), starting with a letter, at most 64 characters' }),
  zh: text(40),
  en: text(80),
  descriptions: z.strictObject({ zh: descriptions, en: descriptions }),
  /** Labels of a data set that this entry stands for (evaluation on data whose labels are not ids). */
  aliases: z.array(z.string().min(1).max(128)).max(32).optional(),
});

export const Taxonomy = z
  .strictObject({
    version: z.literal(1, { error: 'taxonomy version must be 1' }),
    /**
     * 'mean' (default): one prototype per label, the mean of its zh and en texts. 'multi': every name
     * and description is its own prototype; a label scores the mean of its `top` best cosines.
     */
    prototypes: z.enum(['mean', 'multi']).optional(),
    top: z
      .int()
      .min(1)
      .max(2 * (MAX_DESCRIPTIONS + 1))
      .optional(),
    /** Softmax temperature for this taxonomy (overrides classifier.temperature). */
    temperature: z.number().positive().max(10).optional(),
    labels: z.array(TaxonomyLabel).min(2, { error: 'needs at least 2 labels' }).max(256),
  })
  .superRefine((t, ctx) => {
    const seen = new Map<string, number>();
    t.labels.forEach((l, i) => {
      const first = seen.get(l.id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['labels', i, 'id'], message: `duplicate id "${l.id}" (first at labels[${first}])` });
      else seen.set(l.id, i);
    });
    const owner = new Map<string, string>();
    t.labels.forEach((l, i) => {
      (l.aliases ?? []).forEach((a, k) => {
        const other = owner.get(a) ?? (seen.has(a) && a !== l.id ? a : undefined);
        if (other !== undefined && other !== l.id) ctx.addIssue({ code: 'custom', path: ['labels', i, 'aliases', k], message: `alias "${a}" already names label "${other}"` });
        owner.set(a, l.id);
      });
    });
  });

/** Data-set label → taxonomy id: every id maps to itself, every alias to its label's id. */
export function labelMap(t: Taxonomy): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of t.labels) {
    m.set(l.id, l.id);
    for (const a of l.aliases ?? []) m.set(a, l.id);
  }
  return m;
}

export type TaxonomyLabel = z.infer<typeof TaxonomyLabel>;
export type Taxonomy = z.infer<typeof Taxonomy>;

function describeIssue(raw: unknown, issue: z.core.$ZodIssue): string {
  const path = issue.path;
  let where = '';
  for (const seg of path) where += typeof seg === 'number' ? `[${seg}]` : `${where === '' ? '' : '.'}${String(seg)}`;
  // name the label by its id when the issue is inside one
  if (path[0] === 'labels' && typeof path[1] === 'number') {
    const entry = (raw as { labels?: unknown[] } | null)?.labels?.[path[1]];
    const id = (entry as { id?: unknown } | undefined)?.id;
    if (typeof id === 'string') where = `labels[${path[1]}] (id "${id}")${where.slice(`labels[${path[1]}]`.length)}`;
  }
  return `${where || '(root)'}: ${issue.message}`;
}

/** Validate an already parsed taxonomy; `source` names it in errors (e.g. the file path). */
export function parseTaxonomy(raw: unknown, source = 'taxonomy'): Taxonomy {
  const r = Taxonomy.safeParse(raw);
  if (r.success) return r.data;
  const lines = r.error.issues.slice(0, 10).map((i) => `  - ${describeIssue(raw, i)}`);
  throw new PortraitError('CONFIG_INVALID', `invalid taxonomy ${source}:\n${lines.join('\n')}`, { cause: r.error, details: { file: source } });
}

/** Read and validate a taxonomy YAML file. CONFIG_UNREADABLE if it cannot be read or parsed, CONFIG_INVALID if it is wrong. */
export function loadTaxonomy(file: string): Taxonomy {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new PortraitError('CONFIG_UNREADABLE', `taxonomy ${file} cannot be read or parsed: ${why}`, { cause: err, details: { file } });
  }
  return parseTaxonomy(raw, file);
}
