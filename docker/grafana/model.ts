/**
 * A dashboard as the modules describe it (DashboardSpec: rows of panels), built into Grafana's model
 * with what every fibre-agent dashboard shares: the `node` variable, the tag and links menu, time and
 * refresh. docker/grafana/dashboard.ts lists the dashboards and writes their JSON.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type { AgentPack } from '../../probes/packs.js';
import { panelId, restartPanelIds } from './panels.js';
import { DS } from './queries.js';

/** The tag every dashboard of the agent has: their links menu lists the dashboards with it. */
export const AGENT_TAG = 'fibre-agent';

/** A row of a dashboard: its panels are made when the dashboard is built, after the row's own id. */
export interface Row {
  title: string;
  panels: () => cog.Builder<dashboard.Panel>[];
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  /** The pack whose metrics it shows (the FIBRE dashboard: `fibre`). */
  pack: AgentPack;
  /** Where the generated JSON lives, relative to the repository root. */
  path: string;
  tags: string[];
  /** The metric whose `node` values the variable offers: one every node running the pack has. */
  nodeMetric: string;
  rows: Row[];
}

function nodeVariable(metric: string): dashboard.QueryVariableBuilder {
  const query = `label_values(${metric}, node)`;
  return new dashboard.QueryVariableBuilder('node')
    .label('Node')
    .description('Value of the node label (fibre-agent --node-name)')
    .datasource(DS)
    .query(query)
    .definition(query)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
}

/** Builds a dashboard model (a plain JSON-serialisable object); panel ids count from 1 in each. */
export function buildFrom(spec: DashboardSpec): dashboard.Dashboard {
  restartPanelIds();
  const b = new dashboard.DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([...spec.tags, AGENT_TAG])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .links([
      new dashboard.DashboardLinkBuilder('fibre-agent dashboards')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([AGENT_TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true)
        .targetBlank(false)
        .icon('external link'),
    ])
    .withVariable(nodeVariable(spec.nodeMetric));
  for (const r of spec.rows) {
    b.withRow(new dashboard.RowBuilder(r.title).id(panelId()));
    for (const p of r.panels()) b.withPanel(p);
  }
  const model = b.build();
  // Grafana expects an annotation list; none is needed here (and a built-in one would reference another datasource).
  model.annotations = { list: [] };
  return model;
}
