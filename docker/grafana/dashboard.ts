/**
 * The Grafana dashboards of fibre-agent, built with the Grafana Foundation SDK from the agent's metric
 * catalogue: one per pack (FIBRE, validation, P2P, mempool, UTXO cache, wallet), each in its own
 * module, from the shared PromQL (promql.ts), queries (queries.ts), panel shapes (panels.ts) and frame
 * (model.ts). `npm run dashboard` rebuilds them and writes their JSON under docker/grafana/dashboards/
 * (committed, provisioned by the stack); a test fails when a committed file and this code disagree.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { FIBRE } from './fibre.js';
import { MEMPOOL } from './mempool.js';
import { buildFrom, type DashboardSpec } from './model.js';
import { NODE } from './node.js';
import { P2P } from './p2p.js';
import { UTXOCACHE } from './utxocache.js';
import { VALIDATION } from './validation.js';
import { WALLET } from './wallet.js';

export type { DashboardSpec } from './model.js';
export { DATASOURCE_UID } from './queries.js';

/** Every dashboard, the FIBRE one (the stack's home dashboard) first. */
export const DASHBOARDS: readonly DashboardSpec[] = [FIBRE, VALIDATION, P2P, MEMPOOL, UTXOCACHE, WALLET, NODE];

/** Builds a dashboard model (a plain JSON-serialisable object); the FIBRE one by default. */
export function buildDashboard(spec: DashboardSpec = FIBRE): dashboard.Dashboard {
  return buildFrom(spec);
}

/** The file content: the model as indented JSON with a final newline. */
export function renderDashboard(spec: DashboardSpec = FIBRE): string {
  return `${JSON.stringify(buildDashboard(spec), null, 2)}\n`;
}

/** One query of one panel, for tests and tools that run the dashboard's PromQL elsewhere. */
export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
  instant: boolean;
}

type PanelLike = { title?: string; type?: string; targets?: unknown[]; panels?: PanelLike[] };

/** Every target expression of every panel (rows included, collapsed or not). */
export function panelQueries(model: dashboard.Dashboard): PanelQuery[] {
  const out: PanelQuery[] = [];
  const visit = (panels: PanelLike[] | undefined) => {
    for (const p of panels ?? []) {
      for (const t of (p.targets ?? []) as { refId?: string; expr?: string; instant?: boolean }[]) {
        if (t.expr) out.push({ panel: p.title ?? '', refId: t.refId ?? '', expr: t.expr, instant: t.instant === true });
      }
      visit(p.panels);
    }
  };
  visit(model.panels as PanelLike[] | undefined);
  return out;
}

/** The query of each query variable, by variable name. */
export function variableQueries(model: dashboard.Dashboard): { name: string; query: string }[] {
  return (model.templating?.list ?? [])
    .filter((v) => v.type === 'query')
    .map((v) => ({ name: v.name, query: typeof v.query === 'string' ? v.query : JSON.stringify(v.query) }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const spec of DASHBOARDS) {
    // dist/docker/grafana/dashboard.js -> repository root is three levels up.
    const out = fileURLToPath(new URL(`../../../${spec.path}`, import.meta.url));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, renderDashboard(spec));
    console.log(`wrote ${out}`);
  }
}
