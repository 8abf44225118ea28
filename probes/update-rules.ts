/**
 * How one event updates one metric, each rule written once with its two renderings side by side:
 * `kernel`, the bpftrace a probe runs (--aggregation kernel), and `event`, the same on one decoded
 * event in the agent (--aggregation events). The program generator (agent/source/kernel-update.ts)
 * calls kernelStatements and the recorder (agent/record/event-updates.ts) applyToEvent; both walk an
 * update through these rules in the same order, and checksOf decides for both which refusals a value
 * gets, so a rule cannot differ between the modes.
 *
 * The event rendering holds what the kernel holds: the value ($v), and a ratio's denominator ($d)
 * apart from it, so a refusal tests the same numbers in both.
 */
import type {
  ArgType,
  Comparison,
  Condition,
  CountUpdate,
  DecrementUpdate,
  KnownLabel,
  LabelSource,
  Observed,
  ObserveUpdate,
  PeerLabel,
  SetUpdate,
  Update,
} from './catalogue.js';
import { type KeyOfKind, type LabelValues, METRICS } from './metrics.js';
import {
  allKeysMap,
  bytesLabelOf,
  divisorOf,
  keyBytes,
  metricMaps,
  OUT_OF_RANGE_MAP,
  observedArgs,
  RATIO_NUMERATOR_MAX,
  RATIO_SCALE,
  rawBound,
} from './protocol.js';

/** What the kernel rendering of one update writes with (the program generator gives it). */
export interface KernelTerms {
  /** An argument of the event, read with its type on the traced release. */
  arg(name: string): string;
  /** An argument's type on the traced release. */
  typeOf(name: string): ArgType;
  /** This update's key in a map of its metric, then `extra`. */
  at(extra?: readonly string[]): string;
  /** The update's own variables: its value, a ratio's denominator, a histogram's bucket. */
  readonly value: string;
  readonly per: string;
  readonly bucket: string;
  /** A map the probe writes: each read prints it. */
  writes(map: string): void;
}

/** The labels an update gives one event: exactly those its metric declares, but `node`. */
export type UpdateLabels<U extends Update> = LabelValues<U['metric']>;

/**
 * Where the event rendering records: the metric store's methods, each taking only metrics of its own
 * kind, so a rule that added to a histogram, or observed a counter, would not compile.
 */
export interface UpdateSink {
  add<K extends KeyOfKind<'counter'>>(metric: K, labels: LabelValues<K>, value: number): void;
  observe<K extends KeyOfKind<'histogram'>>(metric: K, labels: LabelValues<K>, value: number, sum?: number): void;
  set<K extends KeyOfKind<'gauge'>>(metric: K, labels: LabelValues<K>, value: number): void;
  decrement<K extends KeyOfKind<'gauge'>>(metric: K, labels: LabelValues<K>, by: number): void;
}

/** What the event rendering of one update reads and where it records. */
export interface EventTerms {
  /** An argument of the event, as its line carried it. */
  num(name: string): number;
  /** An argument's type, as the catalogue's entry declares it (see checksOf). */
  typeOf(name: string): ArgType;
  /** The labels the update gives this event. */
  labels<U extends Update>(update: U): UpdateLabels<U>;
  readonly sink: UpdateSink;
  /** A value no measurement can have: fibre_exporter_errors_total{error_type="value_out_of_range"}. */
  outOfRange(): void;
}

/** A value as both renderings hold it: $v, and a ratio's denominator $d. */
interface Held {
  readonly value: number;
  readonly per?: number;
}

const COMPARE: Record<Comparison, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '>=': (a, b) => a >= b,
  '>': (a, b) => a > b,
};

/** A condition of `when`: the update applies only to events for which every one holds. */
const CONDITION = {
  // The catalogue's comparisons are written as bpftrace writes them.
  kernel: ([a, op, b]: Condition<string>, k: KernelTerms): string =>
    `${k.arg(a)} ${op} ${typeof b === 'number' ? String(b) : k.arg(b)}`,
  event: ([a, op, b]: Condition<string>, e: EventTerms): boolean =>
    COMPARE[op](e.num(a), typeof b === 'number' ? b : e.num(b)),
};

type Form = 'arg' | 'difference' | 'ratio';

function formOf(observed: Observed<string>): Form {
  if (typeof observed === 'string') return 'arg';
  return 'ratio' in observed ? 'ratio' : 'difference';
}

/** How the value an update observes or sets is read from the event (`second`: a difference's or ratio's). */
const VALUES: Record<
  Form,
  {
    kernel(first: string, second: string, k: KernelTerms): string[];
    event(first: string, second: string, e: EventTerms): Held;
  }
> = {
  /** An argument as it is. */
  arg: {
    kernel: (a, _, k) => [`${k.value} = ${k.arg(a)};`],
    event: (a, _, e) => ({ value: e.num(a) }),
  },
  /** first - second, as 8-byte signed integers. */
  difference: {
    kernel: (a, b, k) => [`${k.value} = (int64)${k.arg(a)} - (int64)${k.arg(b)};`],
    event: (a, b, e) => ({ value: e.num(a) - e.num(b) }),
  },
  /** first / second: held as numerator and denominator; the observation divides. */
  ratio: {
    kernel: (a, b, k) => [`${k.value} = (int64)${k.arg(a)};`, `${k.per} = (int64)${k.arg(b)};`],
    event: (a, b, e) => ({ value: e.num(a), per: e.num(b) }),
  },
};

/** The arguments a value is read from: one, or a difference's or ratio's two. */
function operands(observed: Observed<string>): [string, string] {
  const [first, second] = observedArgs(observed);
  return [first as string, second ?? ''];
}

/** Types whose values can be below 0 or, as 8 bytes unsigned, 2^63 or more: the negative check applies. */
const SIGNED_OR_WIDE: readonly ArgType[] = ['i32', 'i64', 'u64'];

/**
 * Values that cannot be a measurement, and are refused: `kernel` says when (and, where it is not the
 * plain negation, `keeps` what lets a value through), `event` the same on the held numbers.
 */
const CHECKS: Record<
  'denominator' | 'numerator' | 'negative' | 'zero',
  {
    kernel(k: KernelTerms, type: ArgType): string;
    keeps?(k: KernelTerms): string;
    event(h: Held): boolean;
  }
> = {
  /** A ratio's denominator under 1. */
  denominator: {
    kernel: (k) => `${k.per} < 1`,
    event: (h) => (h.per as number) < 1,
  },
  /** A ratio's numerator over RATIO_NUMERATOR_MAX: in millionths it would overflow an int64. */
  numerator: {
    kernel: (k) => `${k.value} > ${RATIO_NUMERATOR_MAX}`,
    event: (h) => h.value > RATIO_NUMERATOR_MAX,
  },
  /**
   * Below 0, or for an unsigned 8-byte value 2^63 or more, which is no more a measurement (a connect
   * time of 292 years) and on which the kernel's 8-byte sums would wrap: one rule refuses both.
   */
  negative: {
    kernel: (k, type) => (type === 'u64' ? `(int64)${k.value} < 0` : `${k.value} < 0`),
    event: (h) => h.value < 0 || h.value >= 2 ** 63,
  },
  /** Exactly 0, where the update says 0 is no measurement (zero: 'skip'). */
  zero: {
    kernel: (k) => `${k.value} == 0`,
    keeps: (k) => `${k.value} != 0`,
    event: (h) => h.value === 0,
  },
};

interface Check {
  readonly rule: keyof typeof CHECKS;
  /** Counted as value_out_of_range; otherwise the value is skipped without a trace. */
  readonly counted: boolean;
  /** The type of the value checked. */
  readonly type: ArgType;
}

/**
 * The refusals a value gets, in order; each counts only for a value no earlier one refused. `typeOf`
 * gives an argument's type: the kernel's is the traced release's, the agent's the entry's own; where
 * a release passes another type it is another of SIGNED_OR_WIDE, so the same checks apply.
 */
function checksOf(update: ObserveUpdate<string> | SetUpdate<string>, typeOf: (name: string) => ArgType): Check[] {
  const observed = 'observe' in update ? update.observe : update.set;
  const form = formOf(observed);
  // A difference and a ratio are computed in 8-byte signed integers.
  const type = typeof observed === 'string' ? typeOf(observed) : 'i64';
  const checks: Check[] = [];
  if (form === 'ratio')
    checks.push({ rule: 'denominator', counted: true, type }, { rule: 'numerator', counted: true, type });
  if (update.negative && SIGNED_OR_WIDE.includes(type))
    checks.push({ rule: 'negative', counted: update.negative === 'out_of_range', type });
  if ('zero' in update && update.zero === 'skip') checks.push({ rule: 'zero', counted: false, type });
  return checks;
}

/** What an update does with its value (or, for add and decrement, with the event). */
export const WRITES = {
  /** A counter: + 1, or + an argument. */
  add: {
    kernel(update: CountUpdate<string>, k: KernelTerms): string[] {
      const maps = metricMaps(update.metric);
      const amount = update.add === 1 ? '1' : k.arg(update.add);
      const bytesLabel = bytesLabelOf(update);
      if (!bytesLabel) return [`${maps.values}${k.at()} = sum(${amount});`];
      // The string's bytes, zero-padded, are the last key: bpftrace prints a buffer key escaped. The
      // agent keeps --peer-label-limit peers as labels (the rest count as peer="other"), or matches
      // the text against the known values.
      const source = (update.labels as Record<string, KnownLabel<string> | PeerLabel<string>>)[bytesLabel];
      const width = keyBytes(source as LabelSource<string>);
      k.writes(allKeysMap(maps.values));
      return [
        `${maps.values}${k.at([`buf(str(${k.arg((source as { arg: string }).arg)}, ${width}), ${width})`])} = sum(${amount});`,
        `${allKeysMap(maps.values)}${k.at()} = sum(${amount});`,
      ];
    },
    event(update: CountUpdate<string>, e: EventTerms): void {
      e.sink.add(update.metric, e.labels(update), update.add === 1 ? 1 : e.num(update.add));
    },
  },
  /** A gauge lowered by one: never below 0, and nothing before a value was set (0 is not set yet). */
  decrement: {
    kernel(update: DecrementUpdate<string>, k: KernelTerms): string[] {
      const m = `${metricMaps(update.metric).values}${k.at()}`;
      return [`if (${m} > 0) { ${m} = ${m} - 1; }`];
    },
    event(update: DecrementUpdate<string>, e: EventTerms): void {
      e.sink.decrement(update.metric, e.labels(update), 1);
    },
  },
  /** A gauge: the value. */
  set: {
    kernel: (update: SetUpdate<string>, k: KernelTerms): string[] => [
      `${metricMaps(update.metric).values}${k.at()} = ${k.value};`,
    ],
    event(update: SetUpdate<string>, held: Held, e: EventTerms): void {
      e.sink.set(update.metric, e.labels(update), held.value);
    },
  },
  /**
   * A histogram: the bucket of the first bound the value is at most, and the sum. The kernel compares
   * the integer value with each bound times the divisor (rawBound: exact, with no division in BPF), a
   * ratio's numerator in millionths with the bound times the denominator; the store compares the
   * value divided with the bound, which decides alike for every integer value. A ratio's sum adds the
   * ratio truncated to a millionth, as the kernel's integer sum does.
   */
  observe: {
    kernel(update: ObserveUpdate<string>, k: KernelTerms): string[] {
      const maps = metricMaps(update.metric);
      const ratio = formOf(update.observe) === 'ratio';
      const bounds = (METRICS[update.metric].buckets ?? []).map((b) => rawBound(b, divisorOf(update)));
      const v = k.value;
      const scaled = ratio ? `${v} * ${RATIO_SCALE}` : v;
      const fits = (bound: number) => (ratio ? `${scaled} <= ${bound} * ${k.per}` : `${v} <= ${bound}`);
      // Highest bound first, so the last bound the value fits under sets the bucket.
      const lines = [`${k.bucket} = ${bounds.length};`];
      for (let i = bounds.length - 1; i >= 0; i--)
        lines.push(`if (${fits(bounds[i] as number)}) { ${k.bucket} = ${i}; }`);
      lines.push(
        `${maps.values}${k.at([k.bucket])} = count();`,
        `${maps.sums}${k.at()} = sum(${ratio ? `${scaled} / ${k.per}` : v});`,
      );
      k.writes(maps.sums);
      return lines;
    },
    event(update: ObserveUpdate<string>, held: Held, e: EventTerms): void {
      const labels = e.labels(update);
      if (held.per === undefined) {
        e.sink.observe(update.metric, labels, held.value / divisorOf(update));
        return;
      }
      const sum = Math.floor((held.value * RATIO_SCALE) / held.per) / RATIO_SCALE;
      e.sink.observe(update.metric, labels, held.value / held.per, sum);
    },
  },
};

/** An observation or a gauge's value: read, refused where a check says so, then written. */
function kernelValue(update: ObserveUpdate<string> | SetUpdate<string>, k: KernelTerms): string[] {
  const observed = 'observe' in update ? update.observe : update.set;
  const out = VALUES[formOf(observed)].kernel(...operands(observed), k);
  // What lets a value through every check so far: a refusal counts only what no earlier one refused.
  const guards: string[] = [];
  for (const check of checksOf(update, k.typeOf)) {
    const rule = CHECKS[check.rule];
    const refused = rule.kernel(k, check.type);
    if (check.counted) {
      k.writes(OUT_OF_RANGE_MAP);
      out.push(`if (${[...guards, refused].join(' && ')}) { ${OUT_OF_RANGE_MAP} = count(); }`);
    }
    guards.push(rule.keeps?.(k) ?? `!(${refused})`);
  }
  const body = 'set' in update ? WRITES.set.kernel(update, k) : WRITES.observe.kernel(update, k);
  if (guards.length) out.push(`if (${guards.join(' && ')}) {`, ...body.map((l) => `  ${l}`), '}');
  else out.push(...body);
  return out;
}

/** The statements of one update in a probe's body (its labels' indices computed before them). */
export function kernelStatements(update: Update, k: KernelTerms): string[] {
  k.writes(metricMaps(update.metric).values);
  const body =
    'add' in update
      ? WRITES.add.kernel(update, k)
      : 'decrement' in update
        ? WRITES.decrement.kernel(update, k)
        : kernelValue(update, k);
  const when = (update.when ?? []).map((c) => CONDITION.kernel(c, k));
  return when.length ? [`if (${when.join(' && ')}) {`, ...body.map((l) => `  ${l}`), '}'] : body;
}

/** One update applied to one decoded event, rule by rule as kernelStatements writes them. */
export function applyToEvent(update: Update, e: EventTerms): void {
  if (!(update.when ?? []).every((c) => CONDITION.event(c, e))) return;
  if ('add' in update) WRITES.add.event(update, e);
  else if ('decrement' in update) WRITES.decrement.event(update, e);
  else applyValue(update, e);
}

/** An observation or a gauge's value on one event: read, refused where a check says so, then recorded. */
function applyValue(update: ObserveUpdate<string> | SetUpdate<string>, e: EventTerms): void {
  const observed = 'observe' in update ? update.observe : update.set;
  const held = VALUES[formOf(observed)].event(...operands(observed), e);
  for (const check of checksOf(update, e.typeOf)) {
    if (!CHECKS[check.rule].event(held)) continue;
    if (check.counted) e.outOfRange();
    return;
  }
  if ('set' in update) WRITES.set.event(update, held, e);
  else WRITES.observe.event(update, held, e);
}
