/**
 * The journal's HTML page in a real browser (Debian's chromium, driven by playwright-core): the table
 * a person reads holds the journal's blocks, slow ones highlighted, and a peer string that looks like
 * markup is shown as text; nothing in the page runs or loads.
 */
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import type { BlockRecord } from '../../agent/journal/record.js';
import { logSafe } from '../../agent/record/peer-label.js';
import { AgentProc, eventually } from '../helpers/agent.js';
import { ebpfTest } from '../helpers/ebpf.js';
import { buildSim, Sim } from '../helpers/sim.js';

const CHROMIUM = '/usr/bin/chromium';
const MARKUP_PEER = '<img src=x onerror=alert(1)>:8333';

ebpfTest(
  'the /blocks page in headless Chromium: the rendered table is the journal, hostile peers are text',
  async () => {
    const bin = buildSim('full');
    const sim = await Sim.start(bin, ['-w', '60', '-l', '-n', '60', '-r', '15', '-x', '-s', '21']);
    const agent = await AgentProc.start(['-b', bin, '-p', String(sim.pid), '-n', 'pagenode']);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      await agent.waitFor(/Waiting for events/);
      await sim.waitDone();
      const base = `http://127.0.0.1:${agent.port}`;
      const records = await eventually(async () => {
        const r = (await (await fetch(`${base}/blocks?limit=1000`)).json()) as BlockRecord[];
        assert.equal(r.length, 60);
        return r;
      }, 20_000);
      const withMarkup = records.filter((r) => r.winner_peer === MARKUP_PEER);
      assert.ok(withMarkup.length > 0, 'the run has a block won by the markup-like peer');

      const page = await browser.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      // Content negotiation: the browser asks for /blocks and gets the page.
      const response = await page.goto(`${base}/blocks?limit=1000`);
      assert.match(response?.headers()['content-type'] ?? '', /^text\/html/);
      const table = await page.$$eval('#blocks tr', (rows) =>
        rows.map((tr) => ({
          cls: tr.className,
          cells: [...tr.querySelectorAll('th, td')].map((c) => c.textContent ?? ''),
        })),
      );
      const [head, ...rows] = table;
      assert.deepEqual(head?.cells.slice(0, 8), [
        'height',
        'first seen (UTC)',
        'winner',
        'margin ms',
        'reconstruction ms',
        'connect ms',
        'missing tx',
        'slow',
      ]);
      assert.equal(rows.length, records.length);
      const col = (name: string) => head?.cells.indexOf(name) as number;
      rows.forEach((row, i) => {
        const r = records[i] as BlockRecord;
        assert.equal(row.cells[col('height')], String(r.height));
        assert.equal(row.cells[col('hash')], r.hash);
        assert.equal(row.cells[col('winner peer')], logSafe(r.winner_peer ?? ''), `peer of ${r.height} shown as text`);
        assert.equal(
          row.cells[col('reconstruction ms')],
          r.reconstruction_us === null ? '' : (r.reconstruction_us / 1000).toFixed(1),
        );
        assert.equal(row.cls, r.slow === 'very_slow' ? 'very-slow' : r.slow === 'slow' ? 'slow' : '');
      });
      assert.ok(rows.some((r) => r.cls === 'very-slow'));
      // The markup stayed text: no element came of it, nothing ran, nothing was fetched.
      assert.equal(await page.locator('img').count(), 0);
      assert.equal(await page.locator('tbody td:has-text("<img src=x")').count(), withMarkup.length);
      assert.deepEqual(dialogs, []);
      assert.deepEqual(requests, [`${base}/blocks?limit=1000`]);

      // /blocks.html is the same page without content negotiation.
      await page.goto(`${base}/blocks.html?limit=3`);
      assert.equal(await page.locator('#blocks tbody tr').count(), 3);
      assert.equal(await page.title(), 'fibre-agent blocks: pagenode');
    } finally {
      await browser.close();
      await agent.stop();
      await sim.stop();
    }
  },
  120_000,
  [CHROMIUM],
);
