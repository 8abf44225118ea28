/**
 * The catalogue as one release passes it: each argument's type, unit and presence, each label's known
 * values, from the per-release data of the entries. The program generator reads a release's
 * semantics; what the agent reads back is the same on every release (durations converted to the
 * entry's unit in the probe, label values from one list), so nothing after the program needs to know
 * the release.
 */
import {
  ARG_SIZE,
  type ArgSpec,
  type ArgType,
  type CodeLabel,
  type KnownLabel,
  type TimeUnit,
  type Tracepoint,
} from './catalogue.js';
import { inRange, type Release } from './releases.js';

/** The release to read, and an operator's --connect-time-unit where one was given. */
export interface Semantics {
  readonly release: Release;
  readonly connectTimeUnit?: TimeUnit;
}

/** An argument as one release passes it. */
export interface ReleaseArg extends ArgSpec {
  /** The type this release passes: its size and sign are what its note must show. */
  readonly type: ArgType;
  readonly absent: boolean;
  /** What the value read is multiplied by to be in the entry's unit (1 for most). */
  readonly factor: number;
}

const PER_NANOSECOND: Readonly<Record<TimeUnit, number>> = { ns: 1, us: 1000 };

function variantsOn(spec: ArgSpec, release: Release) {
  return (spec.releases ?? []).filter((v) => inRange(release, v.in));
}

/** The unit a duration argument is passed in: the operator's where given, else the release's. */
export function unitOn(spec: ArgSpec, s: Semantics): TimeUnit | undefined {
  if (!spec.unit) return undefined;
  const given = spec.unitSetting === 'connect-time-unit' ? s.connectTimeUnit : undefined;
  return given ?? variantsOn(spec, s.release).find((v) => v.unit)?.unit ?? spec.unit;
}

export function argOn(spec: ArgSpec, s: Semantics): ReleaseArg {
  const variants = variantsOn(spec, s.release);
  const type = variants.find((v) => v.type)?.type ?? spec.type;
  const absent = variants.some((v) => v.absent);
  const unit = unitOn(spec, s);
  const factor = unit && spec.unit ? PER_NANOSECOND[unit] / PER_NANOSECOND[spec.unit] : 1;
  return { ...spec, type, absent, factor };
}

export function argsOn(t: Tracepoint, s: Semantics): ReleaseArg[] {
  return t.args.map((a) => argOn(a, s));
}

/** What the stapsdt note of each argument a release passes must say: its size, and its sign where that matters. */
export function noteShape(args: readonly ReleaseArg[]): { name: string; size: 1 | 4 | 8; signed: boolean | 'any' }[] {
  return args.filter((a) => !a.absent).map((a) => ({ name: a.name, ...ARG_SIZE[a.type] }));
}

/** The probe exists in this release of Bitcoin Core (FIBRE's own probes: in no release). */
export function inRelease(t: Tracepoint, release: Release): boolean {
  return t.releases !== undefined && inRange(release, t.releases);
}

export function codesOn(source: CodeLabel<string>, release: Release): Readonly<Record<number, string>> {
  return Object.assign(
    {},
    source.codes,
    ...(source.added ?? []).filter((a) => inRange(release, a.in)).map((a) => a.codes),
  ) as Record<number, string>;
}

export function valuesOn(source: KnownLabel<string>, release: Release): Readonly<Record<string, string>> {
  return Object.assign(
    {},
    source.values,
    ...(source.added ?? []).filter((a) => inRange(release, a.in)).map((a) => a.values),
  ) as Record<string, string>;
}

/**
 * Every release's codes or values together: what the agent maps an event's raw value with. Safe
 * because a code or string never means two things in two releases (a test holds the catalogue to it).
 */
export function allCodes(source: CodeLabel<string>): Readonly<Record<number, string>> {
  return Object.assign({}, source.codes, ...(source.added ?? []).map((a) => a.codes)) as Record<number, string>;
}

export function allValues(source: KnownLabel<string>): Readonly<Record<string, string>> {
  return Object.assign({}, source.values, ...(source.added ?? []).map((a) => a.values)) as Record<string, string>;
}

/** Every type an argument has on some release: the decoder accepts the values of all of them. */
export function typesOf(spec: ArgSpec): ArgType[] {
  return [spec.type, ...(spec.releases ?? []).flatMap((v) => (v.type ? [v.type] : []))];
}
