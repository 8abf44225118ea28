/**
 * The Debian package, assembled file by file and built with dpkg-deb: the executable, the systemd unit
 * and sysusers entry from systemd/, the config as a conffile, documentation and maintainer scripts
 * (packaging/debian/). No debhelper: there is nothing to compile, and the scripts are short enough to read.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SQLITE_ADDON } from '../agent/runtime.js';

const CONFFILE = 'etc/fibre-agent/config.yaml';

/** The source tree's unit, pointed at /usr/bin and skipped until the agent has a bitcoind to watch. */
export function packagedUnit(unit: string): string {
  const execStart = 'ExecStart=/usr/local/bin/fibre-agent ';
  if (!unit.includes(execStart)) throw new Error(`systemd/fibre-agent.service has no "${execStart}" line`);
  // $$ is a literal $ for systemd, so the shell, not systemd, reads the variable.
  const condition = [
    '# Until bitcoind_path is set (in the config file, or FIBRE_BITCOIND_PATH in a drop-in) the service',
    '# is skipped, not failed: the package enables it at install, before anyone could configure it.',
    `ExecCondition=/bin/sh -c 'grep -Eq "^bitcoind_path:[[:space:]]*[^[:space:]#]" /etc/fibre-agent/config.yaml || [ -n "$\${FIBRE_BITCOIND_PATH}" ]'`,
  ].join('\n');
  return (
    unit
      .replace(
        /^# fibre-agent as a systemd service\..*$/m,
        '# fibre-agent as a systemd service, installed by the fibre-agent package.',
      )
      .replace(/^(Description=.*)$/m, '$1\nDocumentation=man:fibre-agent(8)')
      // A function, not a string: a replacement string would read the $$ above as an escaped $.
      .replace(execStart, () => `${condition}\nExecStart=/usr/bin/fibre-agent `)
  );
}

/** config.example.yaml with bitcoind_path commented out: the node's own path is the one edit to make. */
export function packagedConfig(example: string): string {
  const line = /^bitcoind_path: .*$/m;
  if (!line.test(example)) throw new Error('config.example.yaml has no bitcoind_path line');
  return example.replace(
    line,
    (l) =>
      `# Set it to your bitcoind, then: systemctl enable --now fibre-agent\n# (the service does not start without it)\n# ${l}`,
  );
}

/** A manual page (section 8: it runs as root) holding the command's own --help text. */
function manPage(help: string, version: string): string {
  const roff = help
    .trimEnd()
    .split('\n')
    .map((l) =>
      l
        .replace(/\\/g, '\\e')
        .replace(/-/g, '\\-')
        .replace(/^([.'])/, '\\&$1'),
    );
  return [
    `.TH FIBRE-AGENT 8 "" "fibre-agent ${version}" "System Administration"`,
    '.SH NAME',
    'fibre-agent \\- FIBRE block relay metrics from bitcoind USDT tracepoints',
    '.SH SYNOPSIS',
    '.B fibre-agent',
    '[\\fIoptions\\fR] [\\fBdemo\\fR]',
    '.SH DESCRIPTION',
    'The configuration file is /etc/fibre-agent/config.yaml; the service is fibre-agent.service.',
    'More in /usr/share/doc/fibre-agent/README.md.gz, and in docs/ beside it.',
    '.SH OPTIONS',
    '.nf',
    ...roff,
    '.fi',
    '',
  ].join('\n');
}

function changelog(version: string, maintainer: string): string {
  const date = new Date().toUTCString().replace('GMT', '+0000');
  return `fibre-agent (${version}) unstable; urgency=medium\n\n  * Built from the fibre-agent npm project, version ${version}.\n\n -- ${maintainer}  ${date}\n`;
}

function put(tree: string, path: string, content: string | Buffer, mode: number): void {
  const file = join(tree, path);
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  writeFileSync(file, content);
  chmodSync(file, mode);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

export interface DebInput {
  root: string;
  executable: string;
  version: string;
  /** npm packages inside the executable, for the copyright file. */
  bundled: string[];
  workDir: string;
  out: string;
}

export function buildDeb({ root, executable, version, bundled, workDir, out }: DebInput): void {
  const tree = join(workDir, 'deb');
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree, { mode: 0o755 });
  const src = (p: string) => readFileSync(join(root, p), 'utf8');
  const debian = (p: string) => src(`packaging/debian/${p}`);
  const gz = (text: string) => gzipSync(text, { level: 9 });

  mkdirSync(join(tree, 'usr/bin'), { recursive: true, mode: 0o755 });
  copyFileSync(executable, join(tree, 'usr/bin/fibre-agent'));
  chmodSync(join(tree, 'usr/bin/fibre-agent'), 0o755);
  // better-sqlite3's addon: the executable cannot load it from inside itself (agent/runtime.ts).
  const addon = join(tree, 'usr/lib/fibre-agent', SQLITE_ADDON);
  mkdirSync(dirname(addon), { recursive: true, mode: 0o755 });
  copyFileSync(join(root, 'node_modules/better-sqlite3/build/Release', SQLITE_ADDON), addon);
  execFileSync('strip', ['--strip-unneeded', '--remove-section=.comment', addon]);
  chmodSync(addon, 0o644);
  // Debian 12 keeps units in /lib (usr-merge moved them later); lintian there flags /usr/lib.
  put(tree, 'lib/systemd/system/fibre-agent.service', packagedUnit(src('systemd/fibre-agent.service')), 0o644);
  put(tree, 'usr/lib/sysusers.d/fibre-agent.conf', src('systemd/fibre-agent.sysusers'), 0o644);
  // root:root in the archive; postinst gives it to the fibre-agent group once that exists.
  put(tree, CONFFILE, packagedConfig(src('config.example.yaml')), 0o640);

  const control = debian('control').replace('@VERSION@', version);
  const maintainer = /^Maintainer: (.*)$/m.exec(control)?.[1] ?? '';
  const nodeVersion = process.version;
  const packages = bundled.map((name) => {
    const pkg = JSON.parse(src(`node_modules/${name}/package.json`)) as { version: string; license: string };
    return `  ${name} ${pkg.version} (${pkg.license})`;
  });
  const doc = 'usr/share/doc/fibre-agent';
  put(
    tree,
    `${doc}/copyright`,
    debian('copyright.in').replaceAll('@NODE_VERSION@', nodeVersion).replace('@BUNDLED@', packages.join('\n')),
    0o644,
  );
  put(tree, 'usr/share/lintian/overrides/fibre-agent', debian('lintian-overrides'), 0o644);
  put(tree, `${doc}/changelog.gz`, gz(changelog(version, maintainer)), 0o644);
  put(tree, `${doc}/README.md.gz`, gz(src('README.md')), 0o644);
  // The README is a front door: the guides it links to are beside it, as docs/ is beside it in the source.
  for (const name of readdirSync(join(root, 'docs')).filter((n) => n.endsWith('.md'))) {
    put(tree, `${doc}/docs/${name}.gz`, gz(src(`docs/${name}`)), 0o644);
  }
  const help = execFileSync(executable, ['--help'], { encoding: 'utf8', env: { COLUMNS: '80' } });
  put(tree, 'usr/share/man/man8/fibre-agent.8.gz', gz(manPage(help, version)), 0o644);

  const payload = filesUnder(tree);
  const kib = payload.reduce((sum, f) => sum + Math.ceil(statSync(f).size / 1024), 0);
  put(tree, 'DEBIAN/control', control.replace('@INSTALLED_SIZE@', String(kib)), 0o644);
  put(tree, 'DEBIAN/conffiles', `/${CONFFILE}\n`, 0o644);
  const sums = payload
    .map((f) => relative(tree, f))
    .filter((p) => p !== CONFFILE)
    .sort()
    .map(
      (p) =>
        `${createHash('md5')
          .update(readFileSync(join(tree, p)))
          .digest('hex')}  ${p}`,
    );
  put(tree, 'DEBIAN/md5sums', `${sums.join('\n')}\n`, 0o644);
  for (const script of ['postinst', 'prerm', 'postrm']) put(tree, `DEBIAN/${script}`, debian(script), 0o755);

  execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '-z3', '--build', tree, out], { stdio: 'inherit' });
}
