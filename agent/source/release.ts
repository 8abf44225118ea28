/**
 * Which Bitcoin Core release a binary is, told without running it: from its stapsdt notes (which
 * probes it has, whether they have semaphores, how many arguments of which sizes) and from marker
 * strings in .rodata that separate releases whose probes look alike. Told at every attach: an
 * upgrade in place restarts bitcoind from a new binary at the same path.
 */
import { TRACEPOINTS, type Tracepoint } from '../../probes/catalogue.js';
import {
  type BuildInfo,
  inRange,
  MARKERS,
  NEWEST,
  RELEASES,
  type Release,
  rangeText,
  SEMAPHORES,
} from '../../probes/releases.js';
import { argsOn, inRelease, noteShape } from '../../probes/semantics.js';
import { readSections } from './elf.js';
import { checkArgs, type NoteSite } from './usdt-notes.js';

/** The markers whose text is a whole string (NUL on both sides) in the binary's .rodata. */
export function readMarkers(binary: string): Set<string> {
  const rodata = readSections(binary, [{ name: '.rodata' }]).get('.rodata');
  const found = new Set<string>();
  for (const m of MARKERS) if (rodata?.includes(`\0${m.text}\0`, 0, 'latin1')) found.add(m.text);
  return found;
}

const CORE = TRACEPOINTS.filter((t) => t.releases !== undefined);
const CORE_PROVIDERS = new Set(CORE.map((t) => provider(t.probe)));
const KNOWN = new Set(TRACEPOINTS.map((t) => t.probe));

function provider(probe: string): string {
  return probe.slice(0, probe.indexOf(':'));
}

/** Every site of the probe passes exactly the arguments the release passes, of their sizes and signs. */
function argsFit(t: Tracepoint, sites: readonly NoteSite[], release: Release): boolean {
  const shape = noteShape(argsOn(t, { release }));
  return sites.every((s) => s.args.length === shape.length) && checkArgs(t.probe, sites, shape) === undefined;
}

export function tellRelease(notes: ReadonlyMap<string, readonly NoteSite[]>, markers: ReadonlySet<string>): BuildInfo {
  const present = CORE.filter((t) => (notes.get(t.probe)?.length ?? 0) > 0);
  if (present.length === 0) {
    return { release: 'unknown', semantics: NEWEST, verified: false, toldFrom: 'its notes have no Bitcoin Core probe' };
  }
  let candidates: Release[] = [...RELEASES];
  const evidence: string[] = [];
  // Each fact keeps the releases it allows. One that allows none contradicts the others (a patched
  // build, a compiler that split a string) and is set aside; one that allows all says nothing.
  const narrow = (allows: (r: Release) => boolean, fact: string) => {
    const next = candidates.filter(allows);
    if (next.length === 0 || next.length === candidates.length) return;
    candidates = next;
    evidence.push(fact);
  };
  const semaphores = present.some((t) => notes.get(t.probe)?.some((s) => s.semaphore !== 0n));
  narrow((r) => inRange(r, SEMAPHORES) === semaphores, semaphores ? 'semaphores' : 'no semaphores');
  for (const t of CORE) {
    const has = present.includes(t);
    // A build without the wallet lacks its probes whatever its release.
    if (!has && t.wallet) continue;
    narrow((r) => inRelease(t, r) === has, `${has ? 'has' : 'no'} ${t.probe}`);
  }
  for (const t of present) {
    narrow((r) => argsFit(t, notes.get(t.probe) ?? [], r), `${t.probe}'s argument sizes`);
  }
  for (const m of MARKERS) {
    const has = markers.has(m.text);
    narrow((r) => inRange(r, m.in) === has, `.rodata ${has ? 'has' : 'lacks'} "${m.text}"`);
  }
  const told = (extra: string[] = []) =>
    `its notes (${present.length} Bitcoin Core probes${[...evidence, ...extra].map((e) => `; ${e}`).join('')})`;

  // Newer than any release the agent knows: probes of Core's providers the catalogue lacks, or more
  // arguments than the newest release passes, on a binary otherwise like the newest.
  if (candidates.includes(NEWEST)) {
    const unknown = [...notes.keys()].filter((p) => CORE_PROVIDERS.has(provider(p)) && !KNOWN.has(p)).sort();
    const longer = present.filter((t) =>
      notes.get(t.probe)?.some((s) => s.args.length > noteShape(argsOn(t, { release: NEWEST })).length),
    );
    const news = [
      ...(unknown.length ? [`probes ${NEWEST} does not have: ${unknown.join(', ')}`] : []),
      ...(longer.length ? [`more arguments than ${NEWEST} passes: ${longer.map((t) => t.probe).join(', ')}`] : []),
    ];
    if (news.length)
      return { release: `newer than ${NEWEST}`, semantics: NEWEST, verified: false, toldFrom: told(news) };
  }
  const first = candidates[0] as Release;
  const last = candidates.at(-1) as Release;
  return {
    release: first === last ? first : rangeText({ from: first, to: last }),
    semantics: last,
    verified: true,
    toldFrom: told(),
  };
}
