/**
 * The per-block journal for real: the simulated bitcoind fires, real bpftrace prints the journal's
 * lines beside its in-kernel counts, and every record must hold exactly what was fired, survive
 * restarts and kill -9, stay within its bound, and reach /blocks, the CLI, OTLP logs and the webhook.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlockRecord } from '../../agent/journal/record.js';
import { classify } from '../../agent/journal/record.js';
import { JournalStore } from '../../agent/journal/store.js';
import { AgentProc, CLI, eventually, freePort, freshJournalPath } from '../helpers/agent.js';
import { ebpfTest } from '../helpers/ebpf.js';
import { assertSamples, expectedSamples } from '../helpers/expected.js';
import { parseExposition, sample } from '../helpers/exposition.js';
import { assertJournal, expectedRecords } from '../helpers/journal.js';
import { OtlpReceiver } from '../helpers/otlp-receiver.js';
import { buildSim, Sim } from '../helpers/sim.js';

async function blocks(agent: AgentProc, query = 'limit=10000'): Promise<BlockRecord[]> {
  const res = await fetch(`http://127.0.0.1:${agent.port}/blocks?${query}`);
  assert.equal(res.status, 200);
  return (await res.json()) as BlockRecord[];
}

/** Waits until the journal holds `count` records, and returns them. */
function journalOf(agent: AgentProc, count: number, timeoutMs = 20_000): Promise<BlockRecord[]> {
  return eventually(async () => {
    const records = await blocks(agent);
    assert.equal(records.length, count);
    return records;
  }, timeoutMs);
}

async function withAgent(
  simArgs: string[],
  agentArgs: string[],
  fn: (sim: Sim, agent: AgentProc) => Promise<void>,
  env: NodeJS.ProcessEnv = {},
): Promise<void> {
  const bin = buildSim('full');
  const sim = await Sim.start(bin, ['-w', '60', '-l', ...simArgs]);
  const agent = await AgentProc.start(['-b', bin, '-p', String(sim.pid), '-n', 'journalnode', ...agentArgs], env);
  try {
    await agent.waitFor(/Waiting for events/);
    await fn(sim, agent);
  } finally {
    await agent.stop();
    await sim.stop();
  }
}

ebpfTest(
  'every journal field equals what the simulator fired: either path, one path, no detail, hostile peers',
  async () => {
    // 15 blocks a second: within the program's budget of 20 blocks a second.
    await withAgent(['-n', '100', '-r', '15', '-x', '-d', '-s', '7'], [], async (sim, agent) => {
      await sim.waitDone();
      const records = await journalOf(agent, 100);
      assertJournal(records, sim.events);
      // The run covers each case the journal must get right.
      const fired = [...expectedRecords(sim.events).values()];
      assert.ok(fired.some((r) => r.winner === 'fibre_udp') && fired.some((r) => r.winner === 'bip152_cmpct'));
      assert.ok(
        fired.some((r) => r.udp_ns === null && r.cmpct_ns !== null),
        'a block only compact blocks delivered',
      );
      assert.ok(
        fired.some((r) => r.cmpct_ns === null && r.udp_ns !== null),
        'a block only FIBRE delivered',
      );
      assert.ok(
        fired.some((r) => r.chunks_used !== null && r.missing_tx_count === null),
        'reconstructed, no detail',
      );
      assert.ok(
        fired.some((r) => r.chunks_used === null),
        'a block FIBRE never reconstructed',
      );
      assert.ok(
        fired.some((r) => r.winner_peer === '<img src=x onerror=alert(1)>:8333'),
        'a markup-like peer',
      );
      assert.ok(
        fired.some((r) => r.winner_peer === 'new\nline'),
        'a peer with a newline',
      );

      // Newest first; the slow verdict follows the thresholds; the counter agrees with the journal.
      assert.deepEqual(
        records.map((r) => r.height),
        fired.map((r) => r.height).reverse(),
      );
      const thresholds = { slowReconstructionMs: 50, verySlowReconstructionMs: 100, slowConnectMs: 2000 };
      for (const r of records) assert.equal(r.slow, classify(r, thresholds).slow, `severity of ${r.height}`);
      const e = parseExposition(await agent.metrics());
      for (const severity of ['slow', 'very_slow'] as const) {
        assert.equal(
          sample(e, 'fibre_slow_blocks_total', { node: 'journalnode', severity }),
          records.filter((r) => r.slow === severity).length,
        );
      }
      assert.ok(records.some((r) => r.slow === 'very_slow'));
      // Under the budget of 20 blocks a second nothing is skipped, and nothing says so.
      assert.equal(sample(e, 'fibre_journal_blocks_skipped_total', { node: 'journalnode' }), 0);
      assert.doesNotMatch(agent.output, /skipped/);
      // Counting stayed in the kernel: the journal's lines did not count the events a second time.
      assert.equal(sample(e, 'bitcoin_blocks_connected_total', { node: 'journalnode' }), 100);
      assert.equal(sample(e, 'fibre_exporter_events_processed_total', { event_type: 'block_connected' }), 100);
      // A slow block is logged at WARNING with its key fields, network strings escaped for one line:
      // the first ten of a minute one by one (records are newest first), the rest told together later.
      const slowOnes = records.filter((r) => r.slow);
      const slow = slowOnes.at(-1);
      assert.equal(agent.output.match(/\[WARNING\] fibre-agent: Slow block /g)?.length, Math.min(10, slowOnes.length));
      assert.match(
        agent.output,
        new RegExp(
          `\\[WARNING\\] fibre-agent: Slow block \\(${slow?.slow}\\): height=${slow?.height} hash=${slow?.hash}`,
        ),
      );
      assert.doesNotMatch(agent.output, /peer=new\nline/);

      // One record by hash; a bad hash and bad queries are refused with one line.
      const one = records[17] as BlockRecord;
      const res = await fetch(`http://127.0.0.1:${agent.port}/blocks/${one.hash.toUpperCase()}`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), one);
      assert.equal((await fetch(`http://127.0.0.1:${agent.port}/blocks/${'0'.repeat(64)}`)).status, 404);
      for (const bad of ['/blocks/xyz', '/blocks?limit=0', '/blocks?limit=abc', '/blocks?since=-1', '/blocks?foo=1']) {
        const r = await fetch(`http://127.0.0.1:${agent.port}${bad}`);
        assert.equal(r.status, 400, bad);
        assert.match(await r.text(), /^[^\n]+\n$/, `${bad}: one line`);
      }
      const since = one.height as number;
      const recent = await blocks(agent, `since=${since}&limit=5`);
      assert.deepEqual(
        recent.map((r) => r.height),
        records
          .filter((r) => (r.height as number) >= since)
          .slice(0, 5)
          .map((r) => r.height),
      );

      // The CLI reads the same file, read-only, while the agent writes it.
      const cli = spawnSync(
        process.execPath,
        [CLI, 'blocks', '--json', '--limit', '1000', '--journal-path', agent.journalPath],
        {
          encoding: 'utf8',
        },
      );
      assert.equal(cli.status, 0, cli.stderr);
      assert.deepEqual(JSON.parse(cli.stdout), records);
      const slowOnly = spawnSync(
        process.execPath,
        [CLI, 'blocks', '--slow', '--since', '1h', '--journal-path', agent.journalPath],
        {
          encoding: 'utf8',
        },
      );
      assert.equal(slowOnly.status, 0, slowOnly.stderr);
      const lines = slowOnly.stdout.trimEnd().split('\n');
      assert.match(lines[0] as string, /^HEIGHT\s+FIRST SEEN \(UTC\)\s+WINNER/);
      assert.equal(lines.length - 1, Math.min(20, records.filter((r) => r.slow).length));
      assert.ok(lines.slice(1).every((l) => / (slow|very_slow) /.test(l)));
    });
  },
);

ebpfTest('records survive kill -9 of the metrics process mid-write and an agent restart', async () => {
  const path = freshJournalPath();
  // One account for both agents: whether fibre-agent exists may change meanwhile on a shared machine
  // (the package's test creates and removes it), and the second must write what the first wrote.
  const env = { FIBRE_JOURNAL_PATH: path, FIBRE_USER: 'nobody' };
  const bin = buildSim('full');
  // 15 blocks a second: within the program's budget of 20.
  const first = await Sim.start(bin, ['-w', '60', '-n', '0', '-r', '15', '-s', '3', '-H', '900000']);
  const agent = await AgentProc.start(['-b', bin, '-p', String(first.pid)], env);
  let seen: BlockRecord[] = [];
  try {
    await agent.waitFor(/Waiting for events/);
    seen = await eventually(async () => {
      const r = await blocks(agent);
      assert.ok(r.length >= 60);
      return r;
    }, 30_000);
    const worker = Number(/Metrics side runs as \S+ \(uid \d+\), pid (\d+)/.exec(agent.output)?.[1]);
    assert.ok(worker > 0, 'the metrics process pid is logged');
    // Blocks keep arriving: the kill lands while the journal writes.
    process.kill(worker, 'SIGKILL');
    await agent.waitExit(15_000);
  } finally {
    await agent.stop();
    await first.stop();
  }
  const store = JournalStore.open(path, { readonly: true });
  try {
    assert.equal(store.integrity(), 'ok');
    const kept = store.list({ limit: 1_000_000 });
    assert.ok(kept.length >= seen.length, `${kept.length} kept, ${seen.length} seen before the kill`);
    // What was kept is whole: each record as fired (the last blocks before the kill may be missing).
    const fired = expectedRecords(first.events);
    for (const r of kept) {
      const want = fired.get(r.hash);
      assert.ok(want);
      assert.deepEqual(Object.fromEntries(Object.keys(want).map((k) => [k, r[k as keyof BlockRecord]])), want);
    }
    seen = kept;
  } finally {
    store.close();
  }

  // A new agent on the same file keeps the old records and adds the new ones.
  await withAgent(
    ['-n', '10', '-s', '4', '-H', '950000'],
    [],
    async (sim, again) => {
      await sim.waitDone();
      const all = await journalOf(again, seen.length + 10);
      assert.deepEqual(all.slice(10), seen);
      assertJournal(all.slice(0, 10), sim.events);
    },
    env,
  );
  const after = JournalStore.open(path, { readonly: true });
  assert.equal(after.count(), seen.length + 10, 'all still there after a clean stop');
  after.close();
});

ebpfTest(
  'a burst of 100,000 blocks: each block journaled whole or counted as skipped, and said so; every metric exact',
  async (t) => {
    // As fast as the simulator fires (a second or two): far beyond the budget of 20 blocks a second.
    await withAgent(['-n', '100000', '-s', '21'], [], async (sim, agent) => {
      await sim.waitDone(120_000);
      const fired = expectedRecords(sim.events);
      assert.equal(fired.size, 100_000);
      const expected = expectedSamples(sim.events, 'journalnode');
      const { records, skipped } = await eventually(
        async () => {
          const text = await agent.metrics();
          // The journal's decisions cost the counts nothing: every metric as fired.
          assertSamples(text, expected);
          const skipped = sample(parseExposition(text), 'fibre_journal_blocks_skipped_total', {
            node: 'journalnode',
          }) as number;
          const records = await blocks(agent);
          // Every block fired is either in the journal or counted as skipped, never both, never neither.
          assert.equal(records.length + skipped, 100_000, `${records.length} journaled + ${skipped} skipped`);
          return { records, skipped };
        },
        60_000,
        500,
      );
      t.diagnostic(`${records.length} blocks journaled, ${skipped} skipped`);
      assert.ok(skipped > 0, 'the burst went past the budget');
      assert.ok(records.length >= 20, `${records.length} blocks journaled: at least one second's budget`);
      // Each journaled block is whole: every field of every probe that fired for it, as fired.
      for (const r of records) {
        const want = fired.get(r.hash);
        assert.ok(want, `record ${r.hash} is a block the simulator fired`);
        const got = Object.fromEntries(Object.keys(want).map((k) => [k, r[k as keyof typeof want]]));
        assert.deepEqual(got, want, `block ${r.height} ${r.hash}`);
      }
      // Blocks of all five journal probes are among them (their hashes come as hex and as bytes).
      assert.ok(
        records.some((r) => r.chunks_used !== null && r.missing_tx_count !== null && r.udp_ns !== null),
        'a block with every probe',
      );
      const e = parseExposition(await agent.metrics());
      assert.equal(sample(e, 'fibre_exporter_events_lost_total'), 0);
      assert.equal(sample(e, 'fibre_exporter_errors_total', { error_type: 'decode' }), 0);
      // Said at once, then at most once a minute (the burst can outlast one): how many, and why.
      const told = [
        ...agent.output.matchAll(
          /(\d\d):(\d\d):(\d\d) \[WARNING\] fibre-agent: Journal: (\d+) blocks skipped \((\d+) since the agent started\): more than 20 blocks a second came/g,
        ),
      ];
      assert.ok(told.length >= 1, agent.output);
      const [, , , , first, total] = told[0] as RegExpMatchArray;
      assert.equal(first, total);
      let sum = 0;
      let lastAt = Number.NEGATIVE_INFINITY;
      for (const m of told) {
        let at = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
        // Past midnight, the clock starts again.
        if (at < lastAt) at += 86_400;
        assert.ok(at - lastAt >= 59, `a minute between the lines: ${m[0]}`);
        lastAt = at;
        sum += Number(m[4]);
        assert.equal(Number(m[5]), sum, 'each line adds its blocks to the total');
      }
      assert.ok(sum > 0 && sum <= skipped, `told ${sum} of ${skipped}`);
    });
  },
  240_000,
);

ebpfTest('the journal keeps the newest --journal-blocks blocks; --no-journal serves none', async () => {
  await withAgent(['-n', '30', '-r', '15', '-s', '9'], ['--journal-blocks', '7'], async (sim, agent) => {
    await sim.waitDone();
    await eventually(async () => {
      const records = await blocks(agent);
      const heights = sim.events.filter((e) => e.probe === 'validation:block_connected').map((e) => e.height);
      assert.deepEqual(
        records.map((r) => r.height),
        heights.slice(-7).reverse(),
      );
    }, 20_000);
    const store = JournalStore.open(agent.journalPath, { readonly: true });
    assert.equal(store.count(), 7);
    store.close();
  });
  await withAgent(['-n', '3'], ['--no-journal'], async (sim, agent) => {
    await sim.waitDone();
    const res = await fetch(`http://127.0.0.1:${agent.port}/blocks`);
    assert.equal(res.status, 404);
    assert.match(await res.text(), /journal is off/);
    assert.doesNotMatch(agent.output, /Per-block journal/);
  });
});

ebpfTest('each completed record reaches an OTLP receiver as a log record, over protobuf and JSON', async () => {
  for (const protocol of ['http/protobuf', 'http/json']) {
    const receiver = new OtlpReceiver(await freePort());
    await receiver.start();
    try {
      await withAgent(
        ['-n', '8', '-s', '12'],
        ['--otlp-endpoint', receiver.url, '--otlp-protocol', protocol, '--otlp-interval', '60'],
        async (sim, agent) => {
          await sim.waitDone();
          const records = await journalOf(agent, 8);
          await eventually(async () => assert.equal(receiver.logs.length, 8), 15_000);
          for (const log of receiver.logs) {
            assert.match(log.contentType, protocol === 'http/json' ? /json/ : /protobuf/);
            assert.equal(log.resource['service.instance.id'], 'journalnode');
            const r = records.find((x) => x.hash === log.attributes.hash);
            assert.ok(r, `a log record for ${String(log.attributes.hash)}`);
            for (const [k, v] of Object.entries(r)) {
              if (k === 'alerts') continue;
              if (v === null) assert.equal(k in log.attributes, false, `${k} is left out when empty`);
              else assert.equal(log.attributes[k], v, `${protocol}: ${k} of ${r.height}`);
            }
            assert.equal(log.severityText, r.slow ? 'WARN' : 'INFO');
            assert.match(log.body, new RegExp(`^block ${r.height} ${r.hash}`));
          }
        },
      );
    } finally {
      await receiver.stop();
    }
  }
});

ebpfTest(
  'a slow block is POSTed to the webhook once, retried with backoff, each attempt kept; no secret logged',
  async () => {
    const port = await freePort();
    const received: { hash: string; body: Record<string, unknown> }[] = [];
    const tries = new Map<string, number>();
    const auth: string[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        auth.push(String(req.headers.authorization ?? ''));
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { block: { hash: string } };
        const hash = body.block.hash;
        const n = (tries.get(hash) ?? 0) + 1;
        tries.set(hash, n);
        // Each alert fails once, then gets through.
        if (n === 1) {
          res.writeHead(503).end();
          return;
        }
        received.push({ hash, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    try {
      const url = `http://hookuser:hooksecret@127.0.0.1:${port}/hook?token=querysecret`;
      // Every reconstruction is slow at 0.001 ms; the compact-block-only blocks are not.
      await withAgent(
        ['-n', '6', '-s', '2'],
        ['--slow-reconstruction-ms', '0.001', '--very-slow-reconstruction-ms', '3600000', '--alert-webhook-url', url],
        async (sim, agent) => {
          await sim.waitDone();
          const records = await journalOf(agent, 6);
          const slow = records.filter((r) => r.slow);
          assert.ok(slow.length >= 2 && slow.length < 6, `${slow.length} slow blocks`);
          await eventually(async () => assert.equal(received.length, slow.length), 15_000);
          assert.deepEqual(received.map((r) => r.hash).sort(), slow.map((r) => r.hash).sort(), 'each slow block once');
          const alert = received[0]?.body as Record<string, unknown>;
          assert.equal(alert.event, 'fibre_slow_block');
          assert.equal(alert.node, 'journalnode');
          assert.equal(alert.severity, 'slow');
          assert.ok(auth.every((a) => a === `Basic ${Buffer.from('hookuser:hooksecret').toString('base64')}`));
          await eventually(async () => {
            for (const r of slow) {
              const res = await fetch(`http://127.0.0.1:${agent.port}/blocks/${r.hash}`);
              const kept = (await res.json()) as BlockRecord;
              assert.deepEqual(
                kept.alerts.map((a) => [a.attempt, a.status, a.error]),
                [
                  [1, 503, 'HTTP 503'],
                  [2, 204, null],
                ],
              );
              const gap =
                Date.parse((kept.alerts[1] as { time: string }).time) -
                Date.parse((kept.alerts[0] as { time: string }).time);
              assert.ok(gap >= 900, `backoff before the retry: ${gap} ms`);
            }
          }, 10_000);
          const e = parseExposition(await agent.metrics());
          assert.equal(sample(e, 'fibre_exporter_errors_total', { error_type: 'webhook' }), slow.length);
          assert.equal(sample(e, 'fibre_slow_blocks_total', { node: 'journalnode', severity: 'slow' }), slow.length);
          assert.match(agent.output, /Alert webhook http:\/\/127\.0\.0\.1:\d+\/hook failed: HTTP 503/);
          assert.doesNotMatch(agent.output, /hooksecret|querysecret|hookuser/);
        },
      );
    } finally {
      server.close();
    }
  },
);

ebpfTest(
  'a --journal-path the metrics user cannot write in: one line and exit 2, before any probe attaches',
  async () => {
    const bin = buildSim('full');
    const sim = await Sim.start(bin, ['-n', '0', '-w', '60']);
    try {
      // Root's alone (0700: nobody cannot even reach it), and root's but readable (0755: nobody cannot create the file there).
      for (const mode of [0o700, 0o755]) {
        const dir = mkdtempSync(join(tmpdir(), 'fibre-locked-'));
        chmodSync(dir, mode);
        const path = join(dir, 'journal.sqlite');
        const agent = await AgentProc.start(['-b', bin, '-p', String(sim.pid)], {
          FIBRE_JOURNAL_PATH: path,
          FIBRE_USER: 'nobody',
        });
        const { code } = await agent.waitExit();
        assert.equal(code, 2, agent.output);
        assert.equal(
          agent.output
            .split('\n')
            .filter((l) => l.startsWith('fibre-agent: error:'))
            .join('\n'),
          `fibre-agent: error: --journal-path ${path}: user nobody, which the metrics process runs as, cannot create files in ${dir} (make the directory writable by it, choose another --journal-path, or use --no-journal)`,
        );
        assert.doesNotMatch(
          agent.output,
          /Configuration:|Attached|Metrics side runs/,
          'refused before the bitcoind search',
        );
        assert.equal(statSync(dir).uid, 0, "the operator's directory is left as it is");
        assert.equal(statSync(dir).mode & 0o777, mode);
      }
    } finally {
      await sim.stop();
    }
  },
);
