/** The portrait_* series the alert rules and the Grafana dashboard query, and the series a /metrics text exposes. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ALERTS = fileURLToPath(new URL('../../config/prometheus/portrait-alerts.yml', import.meta.url));
const DASHBOARD = fileURLToPath(new URL('../../config/grafana/dashboards/portrait.json', import.meta.url));

/** Every portrait_* name in the alerts' `expr` lines and the dashboard's queries. */
export function seriesQueried(): string[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
  const exprs = [...[...readFileSync(ALERTS, 'utf8').matchAll(/^\s*expr: (.*)$/gm)].map((m) => m[1]!), ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr))];
  return [...new Set(exprs.flatMap((e) => [...e.matchAll(/\b(portrait_\w+)/g)].map((m) => m[1]!)))].sort();
}

/** The series a Prometheus text exposition declares (# TYPE), histograms with their _bucket, _sum and _count. */
export function seriesExposed(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\w+) (\w+)$/gm)) {
    const [name, type] = [m[1]!, m[2]!];
    out.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) out.add(name + s);
  }
  return out;
}
