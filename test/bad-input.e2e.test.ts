// Bad input through the CLI, table-driven: every case exits 2 with one line
// that names the file (and line and field where there is one) and says what
// was expected, and leaves nothing running or on disk.
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIdsOf, skipNetns, unprivilegedCli } from './env.js';

const CLI_JS = join(process.cwd(), 'dist/harness/cli/main.js');
let root = '';
const S = () => join(root, 'scenarios/s.yaml');
const base = () => readFileSync('scenarios/stub-zone-fix.yaml', 'utf8');

interface Case {
  name: string;
  /** Writes the bad input into the temp tree and returns the CLI arguments. */
  setup: () => string[];
  /** Substrings the one-line error must contain. */
  expect: (string | RegExp)[];
  /** Substrings that must not appear: what a refused file holds. */
  absent?: string[];
  env?: Record<string, string>;
  /** Needs a working netns backend (checks that run when starting). */
  netns?: boolean;
  /** Runs as an unprivileged user, from a copy of the build that user can read. */
  unprivileged?: boolean;
  /** More checks once the command has exited. */
  after?: () => void;
}

const scenario = (text: string) => () => {
  writeFileSync(S(), text);
  return ['run', S()];
};
const edit = (from: string | RegExp, to: string) => scenario(base().replace(from, to));
const file = (rel: string, text: string, args?: () => string[]) => () => {
  writeFileSync(join(root, rel), text);
  writeFileSync(S(), base());
  return args ? args() : ['run', S()];
};

const ZONE_HEAD = '$TTL 300\n@ IN SOA ns1 h 1 2 3 4 5\n@ IN NS ns1\nns1 IN A 198.51.100.53\n';
/** A file outside the copied tree, standing for any file on the machine; its contents must never be echoed. */
const SECRET = 'secret-token-outside-the-tree';
const secretFile = () => {
  const f = join(tmpdir(), `dnsparity-bad-secret-${process.pid}`);
  writeFileSync(f, `${SECRET} IN A 192.0.2.1\nnameserver 192.0.2.1\nserver:\n`);
  return f;
};
const link = (rel: string, target: string) => {
  rmSync(join(root, rel), { force: true });
  symlinkSync(target, join(root, rel));
};


/** A Route 53 export with the zone's SOA and one more record set. */
const r53Sets = (set: object) => ({ ResourceRecordSets: [{ Name: 'internal.example.io.', Type: 'SOA', TTL: 900, ResourceRecords: [{ Value: 'ns-1.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400' }] }, set] });
/** The scenario with its private zone given as Route 53 JSON. */
const r53 = (json: unknown) => () => {
  writeFileSync(join(root, 'fixtures/zones/r53.json'), typeof json === 'string' ? json : JSON.stringify(json, null, 2));
  writeFileSync(S(), base().replace('file: ../fixtures/zones/internal.example.io.zone', 'file: ../fixtures/zones/r53.json\n        format: route53'));
  return ['run', S()];
};
/** The scenario with a names file beside it. */
const names = (text: string) => () => {
  writeFileSync(join(root, 'scenarios/names.txt'), text);
  writeFileSync(S(), base().replace('  privateZones: true\n', '  privateZones: true\n  file: names.txt\n'));
  return ['run', S()];
};
const INIT_FILES = ['--config', 'fixtures/images/incident/unbound.conf', '--resolv-conf', 'fixtures/stub/resolv.conf'];

const CASES: Case[] = [
  { name: 'YAML syntax', setup: scenario('name: x\nresolver: a: b\nstub: {}\n'), expect: ['s.yaml:2', 'invalid YAML'] },
  { name: 'empty file', setup: scenario(''), expect: ['s.yaml', 'the scenario is empty'] },
  { name: 'a list at the top', setup: scenario('- a\n- b\n'), expect: ['s.yaml:1', 'expected a mapping'] },
  { name: 'unknown top-level field', setup: edit('queries:', 'querys: {}\nqueries:'), expect: [/s\.yaml:\d+: querys: unknown field/] },
  { name: 'unknown nested field', setup: edit('  kind: unbound', '  kind: unbound\n  version: 1.17'), expect: [/s\.yaml:\d+: resolver\.version: unknown field/] },
  { name: 'missing resolver', setup: edit(/resolver:\n  kind: unbound\n  config: .*\n/, ''), expect: ['resolver', 'required field is missing'] },
  { name: 'missing resolver config', setup: edit(/  config: .*\n/, ''), expect: ['resolver.config', 'required field is missing'] },
  { name: 'environments is not a list', setup: edit(/environments:\n(  .*\n)+/, 'environments: production\n'), expect: ['environments', 'expected array'] },
  { name: 'bad egress', setup: edit('egress: drop', 'egress: blocked'), expect: ['egress', 'expected allow, drop or reject'] },
  { name: 'environment name used twice', setup: edit('name: preprod', 'name: staging'), expect: ['environments[2].name', 'defined twice'] },
  { name: 'no reference environment', setup: edit('    reference: true\n', ''), expect: ['environments', 'no environment is marked'] },
  { name: 'two reference environments', setup: edit('    egress: drop\n', '    egress: drop\n    reference: true\n'), expect: ['2 environments are marked as reference'] },
  { name: 'reference to an unknown environment', setup: edit('class: slow-only-in-one', 'class: slow-only-in-one\n      environment: qa'), expect: ['expect.differences[0].environment', 'unknown environment "qa"'] },
  { name: 'unknown difference class', setup: edit('class: slow-only-in-one', 'class: slower'), expect: ['expect.differences[0].class', 'expected one of'] },
  { name: 'negative latency threshold', setup: edit('latencyThresholdMs: 1000', 'latencyThresholdMs: -5'), expect: ['expect.latencyThresholdMs'] },
  { name: 'bad query type', setup: edit('    - www.example.io', '    - { name: www.example.io, type: AXFR }'), expect: ['queries.names[1].type', 'expected one of'] },
  { name: 'bad domain name', setup: edit('    - www.example.io', '    - "www..example.io"'), expect: ['queries.names[1]', 'domain name'] },
  { name: 'no queries', setup: edit(/queries:\n(  .*\n)+/, 'queries: {}\n'), expect: ['queries', 'no queries'] },
  { name: 'a single environment', setup: edit(/  - name: staging\n(    .*\n)+  - name: preprod\n(    .*\n)+/, ''), expect: ['environments', 'at least two'] },
  { name: 'real Internet requested', setup: edit('name: stub-zone-fix', 'name: stub-zone-fix\nallowRealInternet: true'), expect: ['allowRealInternet', 'not supported'] },
  { name: 'bad provider address', setup: edit('address: 169.254.169.253', 'address: 169.254.169'), expect: ['network.provider.address', 'IPv4'] },
  { name: 'missing resolver config file', setup: edit('images/stub-zone-fix/unbound.conf', 'images/nope/unbound.conf'), expect: ['resolver.config', 'file not found'] },
  { name: 'missing zone file', setup: edit('zones/example.io.zone', 'zones/nope.zone'), expect: ['network.public.zones[0].file', 'file not found'] },
  { name: 'zone listed twice in one list', setup: edit(/(      - origin: example.io\n        file: .*\n)/, '$1$1'), expect: ['network.public.zones[1].origin', 'listed twice under network.public.zones'] },
  { name: 'zone with a bad address', setup: file('fixtures/zones/example.io.zone', '$TTL 300\n@ IN SOA ns1 h 1 2 3 4 5\n@ IN NS ns1\nns1 IN A 198.51.100.300\n'), expect: ['example.io.zone:4', 'invalid IPv4'] },
  { name: 'zone with CNAME and other data', setup: file('fixtures/zones/example.io.zone', '$TTL 300\n@ IN SOA ns1 h 1 2 3 4 5\n@ IN NS ns1\nns1 IN A 198.51.100.53\nwww IN CNAME ns1\nwww IN A 203.0.113.1\n'), expect: ['example.io.zone:6', 'CNAME and other data'] },
  { name: 'zone without SOA', setup: file('fixtures/zones/example.io.zone', '$TTL 300\nwww IN A 203.0.113.1\n'), expect: ['example.io.zone', 'SOA'] },
  { name: 'resolv.conf without nameserver', setup: file('fixtures/stub/resolv.conf', 'options timeout:2\n'), expect: ['resolv.conf', 'no nameserver line'] },
  { name: 'resolv.conf with a bad address', setup: file('fixtures/stub/resolv.conf', 'nameserver 127.0.0.1\nnameserver localhost\n'), expect: ['resolv.conf:2', 'expected an IP address'] },
  { name: 'provider address is a public server address', setup: edit('address: 169.254.169.253', 'address: 198.51.100.53'), expect: ['198.51.100.53', 'also a public name server'] },
  { name: 'two zones on one server address', setup: file('fixtures/zones/other.zone', '$TTL 300\n@ IN SOA ns1 h 1 2 3 4 5\n@ IN NS ns1\nns1 IN A 198.51.100.53\n', () => { writeFileSync(S(), base().replace('      - origin: example.io\n', '      - origin: other.io\n        file: ../fixtures/zones/other.zone\n      - origin: example.io\n')); return ['run', S()]; }), expect: ['198.51.100.53', 'used by zone'] },
  { name: 'unknown reporter', setup: () => ['run', 'scenarios/stub-zone-fix.yaml', '--reporter', 'yaml'], expect: ['--reporter', 'unknown reporter "yaml"', 'expected one of'] },
  { name: 'unknown backend', setup: () => ['run', 'scenarios/stub-zone-fix.yaml', '--backend', 'qemu'], expect: ['--backend', 'qemu'] },
  { name: 'bad --timeout-ms', setup: () => ['run', '--timeout-ms', '0'], expect: ['--timeout-ms expects a positive whole number'] },
  { name: 'unwritable --out', setup: () => { writeFileSync(join(root, 'plainfile'), ''); return ['run', 'scenarios/stub-zone-fix.yaml', '--out', join(root, 'plainfile/out')]; }, expect: ['--out', 'cannot write reports here'] },
  { name: 'no such scenario path', setup: () => ['run', join(root, 'nope.yaml')], expect: ['nope.yaml', 'no such scenario'] },
  { name: 'directory without scenarios', setup: () => { mkdirSync(join(root, 'empty'), { recursive: true }); return ['run', join(root, 'empty')]; }, expect: ['empty', 'no *.yaml scenario'] },
  { name: 'missing binaries', setup: () => {
      // A PATH with node and nothing else: nsd-checkzone is missing.
      mkdirSync(join(root, 'bin'), { recursive: true });
      return ['run', 'scenarios/stub-zone-fix.yaml'];
    }, env: { PATH: join(root, 'bin') }, expect: ['not found', 'apt-get install'] },
  // Confinement: nothing outside the scenario's files root is read.
  { name: 'zone $INCLUDE of an absolute path outside the tree', setup: file('fixtures/zones/example.io.zone', `${ZONE_HEAD}$INCLUDE /etc/passwd\n`), expect: ['example.io.zone:5', '$INCLUDE', '/etc/passwd', "outside the scenario's files root"], absent: ['root:'] },
  { name: 'zone $INCLUDE that climbs out with ../', setup: () => { const f = secretFile(); return file('fixtures/zones/example.io.zone', `${ZONE_HEAD}$INCLUDE ../../../../../../../..${f}\n`)(); }, expect: ['example.io.zone:5', '$INCLUDE', 'outside'], absent: [SECRET] },
  { name: 'zone $INCLUDE of a symlink that points out', setup: () => { link('fixtures/zones/part.zone', secretFile()); return file('fixtures/zones/example.io.zone', `${ZONE_HEAD}$INCLUDE part.zone\n`)(); }, expect: ['example.io.zone:5', '$INCLUDE', 'part.zone (resolves to', 'outside'], absent: [SECRET] },
  { name: 'zone $INCLUDE of a missing file', setup: file('fixtures/zones/example.io.zone', `${ZONE_HEAD}$INCLUDE nope.zone\n`), expect: ['example.io.zone:5', '$INCLUDE', 'cannot open include file nope.zone'] },
  { name: 'zone $INCLUDE of itself', setup: file('fixtures/zones/example.io.zone', `${ZONE_HEAD}$INCLUDE example.io.zone\n`), expect: ['example.io.zone:5', '$INCLUDE', 'cycle'] },
  { name: 'zone $INCLUDE without a file', setup: file('fixtures/zones/example.io.zone', `${ZONE_HEAD}$INCLUDE\n`), expect: ['example.io.zone:5', '$INCLUDE', 'expected "$INCLUDE <file> [<origin>]"'] },
  { name: 'zone file that is a symlink out of the tree', setup: () => { link('fixtures/zones/example.io.zone', secretFile()); writeFileSync(S(), base()); return ['run', S()]; }, expect: ['s.yaml:', 'network.public.zones[0].file', 'resolves to', 'outside'], absent: [SECRET] },
  { name: 'resolv.conf that is a symlink out of the tree', setup: () => { link('fixtures/stub/resolv.conf', secretFile()); writeFileSync(S(), base()); return ['run', S()]; }, expect: ['s.yaml:', 'stub.resolvConf', 'outside'], absent: [SECRET] },
  { name: 'resolver config include that is a symlink out of the tree', setup: () => { link('fixtures/images/stub-zone-fix/extra.conf', secretFile()); return file('fixtures/images/stub-zone-fix/unbound.conf', `${readFileSync('fixtures/images/stub-zone-fix/unbound.conf', 'utf8')}\ninclude: "/etc/unbound/extra.conf"\n`)(); }, expect: [/unbound\.conf:\d+: include: .*extra\.conf \(resolves to .*\) lies outside/], absent: [SECRET] },
  { name: 'absolute resolv.conf path outside the tree', setup: edit('resolvConf: ../fixtures/stub/resolv.conf', 'resolvConf: /etc/resolv.conf'), expect: ['stub.resolvConf', '/etc/resolv.conf', 'outside'] },
  { name: 'config root outside the tree', setup: edit('  config: ../fixtures/images/stub-zone-fix/unbound.conf', '  config: ../fixtures/images/stub-zone-fix/unbound.conf\n  configRoot: /etc'), expect: ['resolver.configRoot', 'outside'] },
  { name: 'files outside the scenario directory without files.root', setup: edit(/files:\n  root: .*\n/, ''), expect: ['s.yaml:', 'network.provider.zones[0].file', 'outside', 'files: { root: DIR }'] },
  { name: 'files.root outside --files-root', setup: () => { writeFileSync(S(), base()); return ['run', S(), '--files-root', join(root, 'scenarios')]; }, expect: ['s.yaml:', 'files.root', 'outside --files-root'] },
  { name: '--files-root that is not a directory', setup: () => ['run', 'scenarios/stub-zone-fix.yaml', '--files-root', join(root, 'nowhere')], expect: ['command line: --files-root', 'not a directory'] },
  { name: 'files.root that is not a directory', setup: edit(/  root: .*/, '  root: ../fixtures/stub/resolv.conf'), expect: ['files.root', 'not a directory'] },
  { name: 'files.root with an unknown field', setup: edit(/  root: .*/, '  root: ..\n  follow: true'), expect: ['files.follow', 'unknown field'] },
  // Consistency: resolv.conf names the resolvers the scenario has; no server at an address nothing can reach.
  { name: 'resolv.conf names a resolver the network does not have', setup: file('fixtures/stub/resolv.conf', 'nameserver 127.0.0.1\nnameserver 10.0.0.2\n'), expect: ['resolv.conf:2', 'nameserver 10.0.0.2 is not a resolver the scenario has', 'network.provider.address', 'stub.resolvConf'] },
  { name: 'resolv.conf without the local resolver', setup: file('fixtures/stub/resolv.conf', 'nameserver 169.254.169.253\n'), expect: ['resolv.conf: nameserver', 'no nameserver line names the local resolver (127.0.0.1'] },
  { name: 'resolv.conf names an IPv6 resolver', setup: file('fixtures/stub/resolv.conf', 'nameserver 127.0.0.1\nnameserver ::1\n'), expect: ['resolv.conf:2', 'nameserver ::1', 'IPv4 resolvers only'] },
  { name: 'provider address that resolv.conf does not name', setup: edit('address: 169.254.169.253', 'address: 169.254.169.250'), expect: ['resolv.conf:3', 'nameserver 169.254.169.253 is not a resolver', "the provider's resolver (169.254.169.250, network.provider.address)"] },
  { name: 'resolver listening where resolv.conf does not point', setup: file('fixtures/images/stub-zone-fix/unbound.conf', readFileSync('fixtures/images/stub-zone-fix/unbound.conf', 'utf8').replace('interface: 127.0.0.1', 'interface: 127.0.0.2')), expect: ['resolv.conf:2', 'nameserver 127.0.0.1 is not a resolver', 'the local resolver (127.0.0.2'] },
  // The same checks on the docker backend: they are made while planning, before any backend starts.
  { name: 'resolv.conf names a resolver the network does not have, docker backend', setup: file('fixtures/stub/resolv.conf', 'nameserver 127.0.0.1\nnameserver 10.0.0.2\n', () => { writeFileSync(S(), base()); return ['run', S(), '--backend', 'docker']; }), expect: ['resolv.conf:2', 'nameserver 10.0.0.2 is not a resolver the scenario has'] },
  { name: 'provider address on loopback, docker backend', setup: () => { writeFileSync(S(), base().replace('address: 169.254.169.253', 'address: 127.0.0.53')); return ['run', S(), '--backend', 'docker']; }, expect: ['network.provider.address', 'loopback'] },
  { name: 'zone $INCLUDE outside the tree, docker backend', setup: file('fixtures/zones/example.io.zone', `${ZONE_HEAD}$INCLUDE /etc/passwd\n`, () => { writeFileSync(S(), base()); return ['run', S(), '--backend', 'docker']; }), expect: ['example.io.zone:5', '$INCLUDE', 'outside'], absent: ['root:'] },
  { name: 'provider address on loopback', setup: edit('address: 169.254.169.253', 'address: 127.0.0.53'), expect: ['network.provider.address', '127.0.0.53', 'loopback'] },
  { name: 'provider address unspecified', setup: edit('address: 169.254.169.253', 'address: 0.0.0.0'), expect: ['network.provider.address', 'unspecified'] },
  { name: 'provider address multicast', setup: edit('address: 169.254.169.253', 'address: 239.1.2.3'), expect: ['network.provider.address', 'multicast'] },
  { name: 'provider address broadcast', setup: edit('address: 169.254.169.253', 'address: 255.255.255.255'), expect: ['network.provider.address', 'broadcast'] },
  { name: 'public name server on loopback', setup: file('fixtures/zones/example.io.zone', '$TTL 300\n@ IN SOA ns1 h 1 2 3 4 5\n@ IN NS ns1\nns1 IN A 127.0.0.53\n'), expect: ['example.io.zone:4', 'ns1.example.io A', 'loopback'] },
  { name: 'public name server in the link range', setup: file('fixtures/zones/example.io.zone', '$TTL 300\n@ IN SOA ns1 h 1 2 3 4 5\n@ IN NS ns1\nns1 IN A 100.127.3.3\n'), expect: ['example.io.zone:4', '100.127.0.0/16'] },
  // IDN: Unicode names become A-labels; one that cannot is refused with the reason.
  { name: 'query name IDNA does not allow', setup: edit('    - www.example.io', '    - "www.a\u00a0b.example.io"'), expect: ['queries.names[1]', 'cannot be converted to A-labels', 'U+00A0'] },
  { name: 'zone origin that breaks the bidi rule', setup: edit('origin: example.io', 'origin: "\u0663\u0661a.io"'), expect: ['network.public.zones[0].origin', 'cannot be converted to A-labels', 'bidirectional'] },
  { name: 'expected answer name with a hyphen at a Unicode label edge', setup: edit('    - name: proxysql.internal.example.io', '    - name: "-ü.internal.example.io"'), expect: ['expect.answers[0].name', 'begins or ends with a hyphen'] },
  { name: 'declared difference name too long as an A-label', setup: edit('    - source: public-zone', `    - name: "*.${'ü'.repeat(70)}.example.io"\n      source: public-zone`), expect: ['expect.differences[0].name', "over DNS's 63"] },
  { name: 'config unbound-checkconf rejects', netns: true, setup: file('fixtures/images/stub-zone-fix/unbound.conf', 'server:\n    interface: 127.0.0.1\n    num-threads: many\n'), expect: ['unbound.conf:3', 'unbound-checkconf'] },
  { name: 'resolver config that loads code on this machine', netns: true, setup: file('fixtures/images/stub-zone-fix/unbound.conf', readFileSync('fixtures/images/stub-zone-fix/unbound.conf', 'utf8').replace('server:\n', 'server:\n    module-config: "python iterator"\n    python-script: "/etc/unbound/hook.py"\n')), expect: [/unbound\.conf:\d+: module-config: python iterator: unbound runs code here/, '--backend docker'] },
  { name: 'resolver config that reads a zone file of this machine', netns: true, setup: file('fixtures/images/stub-zone-fix/unbound.conf', `${readFileSync('fixtures/images/stub-zone-fix/unbound.conf', 'utf8')}\nauth-zone:\n    name: "corp.example"\n    zonefile: "/etc/shadow"\n`), expect: [/unbound\.conf:\d+: auth-zone\.zonefile: \/etc\/shadow: unbound reads a file here/], absent: ['root:'] },
  // Zones as users have them: inline records and Route 53 JSON, checked as master files are.
  { name: 'zone with both file and records', setup: edit('        file: ../fixtures/zones/internal.example.io.zone', '        file: ../fixtures/zones/internal.example.io.zone\n        records: ["proxysql A 10.20.30.40"]'), expect: [/s\.yaml:\d+: network\.provider\.zones\[0\]\.records: a zone takes file or records, not both/, 'format: route53'] },
  { name: 'zone with neither file nor records', setup: edit('        file: ../fixtures/zones/internal.example.io.zone\n', ''), expect: [/s\.yaml:\d+: network\.provider\.zones\[0\]\.file: required field is missing/, 'records:'] },
  { name: 'format on inline records', setup: edit('        file: ../fixtures/zones/internal.example.io.zone', '        records: ["proxysql A 10.20.30.40"]\n        format: route53'), expect: [/s\.yaml:\d+: network\.provider\.zones\[0\]\.format: format applies to file:/, 'remove format'] },
  { name: 'unknown zone format', setup: edit('        file: ../fixtures/zones/internal.example.io.zone', '        file: ../fixtures/zones/internal.example.io.zone\n        format: bind'), expect: [/s\.yaml:\d+: network\.provider\.zones\[0\]\.format: expected master .* or route53/] },
  { name: 'inline record with a bad address', setup: edit('        file: ../fixtures/zones/internal.example.io.zone', '        records:\n          - "proxysql A 10.20.30.40"\n          - "db A 10.20.30.400"'), expect: [/s\.yaml:\d+: network\.provider\.zones\[0\]\.records\[1\]: zone internal\.example\.io: .*IPv4/, 'fix the record'] },
  { name: 'inline record that includes a file', setup: edit('        file: ../fixtures/zones/internal.example.io.zone', '        records: ["$INCLUDE /etc/passwd"]'), expect: [/s\.yaml:\d+: network\.provider\.zones\[0\]\.records\[0\]: \$INCLUDE is not read in inline records/, 'file: instead'], absent: ['root:'] },
  { name: 'inline record that is not a line', setup: edit('        file: ../fixtures/zones/internal.example.io.zone', '        records: [{ name: proxysql }]'), expect: [/s\.yaml:\d+: network\.provider\.zones\[0\]\.records\[0\]: expected string/] },
  { name: 'Route 53 JSON that does not parse', setup: r53('{"ResourceRecordSets": [\n  {"Name": "x.internal.example.io.",\n'), expect: [/r53\.json:\d+: invalid JSON/, 'list-resource-record-sets'] },
  { name: 'Route 53 JSON without record sets', setup: r53({ HostedZone: {} }), expect: [/r53\.json:1: ResourceRecordSets: expected a list of record sets/, 'ResourceRecordSets'] },
  { name: 'Route 53 record set without a TTL', setup: r53(r53Sets({ Name: 'db.internal.example.io.', Type: 'A', ResourceRecords: [{ Value: '10.20.30.41' }] })), expect: [/r53\.json:\d+: ResourceRecordSets\[1\]\.TTL: expected a TTL in seconds/, 'every record set that is not an alias has a TTL'] },
  { name: 'Route 53 alias to a resource outside the zone', setup: r53(r53Sets({ Name: 'lb.internal.example.io.', Type: 'A', AliasTarget: { HostedZoneId: 'Z2', DNSName: 'my-lb-1.eu-west-1.elb.amazonaws.com.', EvaluateTargetHealth: true } })), expect: [/r53\.json:\d+: ResourceRecordSets\[1\]\.AliasTarget\.DNSName: alias record lb\.internal\.example\.io\. A points at my-lb-1\.eu-west-1\.elb\.amazonaws\.com\., outside this zone/, 'replace the alias by the records it resolves to'] },
  { name: 'Route 53 record set outside the zone', setup: r53(r53Sets({ Name: 'www.example.io.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '203.0.113.80' }] })), expect: [/r53\.json:\d+: ResourceRecordSets\[1\]\.Name: www\.example\.io\. is outside zone internal\.example\.io/, 'this hosted zone only'] },
  { name: 'Route 53 record nsd rejects', setup: r53(r53Sets({ Name: 'db.internal.example.io.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.20.30.400' }] })), expect: [/r53\.json:\d+: ResourceRecordSets\[1\]\.ResourceRecords\[0\]\.Value: zone internal\.example\.io: .*IPv4/, 'fix the record set'] },
  { name: 'Route 53 file outside the tree', setup: edit('        file: ../fixtures/zones/internal.example.io.zone', '        file: /etc/passwd\n        format: route53'), expect: ['network.provider.zones[0].file', '/etc/passwd', 'outside'], absent: ['root:'] },
  // Queries from a names file: in the scenario (queries.file) and on the command line (--names).
  { name: 'queries.file that does not exist', setup: edit('  privateZones: true\n', '  privateZones: true\n  file: names.txt\n'), expect: [/s\.yaml:\d+: queries\.file: file not found or not readable: names\.txt/] },
  { name: 'queries.file with an unknown type', setup: names('proxysql.internal.example.io\nwww.example.io AXFR\n'), expect: [/names\.txt:2: type: unknown type "AXFR"/, 'expected one of A, AAAA'] },
  { name: 'queries.file with a bad name', setup: names('# names\nwww..example.io\n'), expect: [/names\.txt:2: name: "www\.\.example\.io": expected a domain name/, 'one name a line'] },
  { name: 'queries.file with three words on a line', setup: names('www.example.io A 300\n'), expect: [/names\.txt:1: type: expected "name \[TYPE\]", got 3 words/, '"#" starts a comment'] },
  { name: 'queries.file that lists no name', setup: names('# nothing yet\n\n'), expect: [/names\.txt: the names file lists no name/] },
  { name: 'queries.file outside the tree', setup: edit('  privateZones: true\n', '  privateZones: true\n  file: /etc/passwd\n'), expect: ['queries.file', '/etc/passwd', 'outside'], absent: ['root:'] },
  { name: '--names file that does not exist', setup: () => ['run', 'scenarios/stub-zone-fix.yaml', '--names', join(root, 'nope.txt')], expect: ['command line: --names', 'file not found or not readable'] },
  { name: '--names file with a bad line', setup: () => { writeFileSync(join(root, 'n.txt'), 'ok.example.io\n-bad-.example.io\n'); return ['run', 'scenarios/stub-zone-fix.yaml', '--names', join(root, 'n.txt')]; }, expect: [/n\.txt:2: name: "-bad-\.example\.io"/] },
  { name: '--names file outside --files-root', setup: () => { writeFileSync(join(root, 'n.txt'), 'ok.example.io\n'); return ['run', join(root, 'scenarios/stub-zone-fix.yaml'), '--files-root', join(root, 'scenarios'), '--names', join(root, 'n.txt')]; }, expect: ['command line: --names', 'outside --files-root'] },
  // dnsparity init: every flag checked, the zones and the resulting scenario validated before anything is written.
  { name: 'init with --image and --config', setup: () => ['init', '--image', 'x/y:z', '--config', 'fixtures/images/incident/unbound.conf'], expect: ['command line: --image', 'not both'] },
  { name: 'init without --resolv-conf', setup: () => ['init', '--config', 'fixtures/images/incident/unbound.conf'], expect: ['command line: --resolv-conf', 'required: --image REF, or --config FILE with --resolv-conf FILE'] },
  { name: 'init --private without ZONE=', setup: () => ['init', ...INIT_FILES, '--private', 'fixtures/zones/internal.example.io.zone'], expect: ['command line: --private', 'expected ZONE=FILE'] },
  { name: 'init --private with a bad zone name', setup: () => ['init', ...INIT_FILES, '--private', 'internal..example.io=fixtures/zones/internal.example.io.zone'], expect: ['command line: --private', 'expected a domain name'] },
  { name: 'init --public with a missing file', setup: () => ['init', ...INIT_FILES, '--public', 'example.io=fixtures/zones/nope.zone'], expect: ['command line: --public', 'file not found: fixtures/zones/nope.zone'] },
  { name: 'init --provider that is not an address', setup: () => ['init', ...INIT_FILES, '--provider', 'vpc-resolver'], expect: ['command line: --provider', 'expected an IPv4 address'] },
  { name: 'init from a config of no resolver it runs', setup: () => { writeFileSync(join(root, 'resolver.conf'), 'upstream 169.254.169.253\ncache on\n'); return ['init', '--config', join(root, 'resolver.conf'), '--resolv-conf', 'fixtures/stub/resolv.conf']; }, expect: ['resolver.conf: cannot tell which resolver this config is for', 'unbound, dnsmasq, knot-resolver, bind, pdns-recursor'] },
  { name: 'init from a config of no known resolver', setup: () => { writeFileSync(join(root, 'odd.conf'), 'hello world\n'); return ['init', '--config', join(root, 'odd.conf'), '--resolv-conf', 'fixtures/stub/resolv.conf']; }, expect: ['odd.conf: cannot tell which resolver this config is for', 'unbound'] },
  { name: 'init --out that exists', setup: () => { writeFileSync(join(root, 'exists.yaml'), 'x: 1\n'); return ['init', ...INIT_FILES, '--out', join(root, 'exists.yaml')]; }, expect: ['command line: --out', 'exists already', 'another --out'] },
  { name: 'init with a private zone nsd rejects', setup: () => { writeFileSync(join(root, 'bad.zone'), `${ZONE_HEAD}db IN A 10.20.30.400\n`); return ['init', ...INIT_FILES, '--private', `internal.example.io=${join(root, 'bad.zone')}`, '--out', join(root, 'init-bad.yaml')]; }, expect: [/bad\.zone:5: zone internal\.example\.io: .*IPv4/] , after: () => expect(existsSync(join(root, 'init-bad.yaml'))).toBe(false) },
  { name: 'init with Route 53 JSON that has an alias out of the zone', setup: () => { writeFileSync(join(root, 'z.json'), JSON.stringify(r53Sets({ Name: 'lb.internal.example.io.', Type: 'A', AliasTarget: { DNSName: 'x.cloudfront.net.' } }), null, 2)); return ['init', ...INIT_FILES, '--private', `internal.example.io=${join(root, 'z.json')}`]; }, expect: [/z\.json:\d+: ResourceRecordSets\[1\]\.AliasTarget\.DNSName: .*outside this zone/] },
  { name: 'init with a resolv.conf that names a resolver the config does not run', setup: () => { writeFileSync(join(root, 'rc'), 'nameserver 127.0.0.2\nnameserver 169.254.169.253\n'); return ['init', '--config', 'fixtures/images/incident/unbound.conf', '--resolv-conf', join(root, 'rc')]; }, expect: [/rc:1: nameserver: nameserver 127\.0\.0\.2 is not a resolver the scenario has/] },
  { name: 'address in the link range', netns: true, setup: edit(/address: 169\.254\.169\.253/, 'address: 100.127.0.9'), expect: ['100.127.0.9', 'renumber'] },
  { name: 'not root for netns, rootless runs turned off', netns: true, unprivileged: true, env: { DNSPARITY_ROOTLESS: 'never' }, setup: () => ['run', join(root, 'scenarios/stub-zone-fix.yaml')], expect: ['root', 'dnsparity doctor'] },
];

describe('bad input: exit 2, one clear line, nothing left', () => {
  let asUser: ReturnType<typeof unprivilegedCli> | undefined;
  beforeAll(() => {
    if (!skipNetns) asUser = unprivilegedCli();
    root = mkdtempSync(join(tmpdir(), 'dnsparity-bad-'));
    cpSync('fixtures', join(root, 'fixtures'), { recursive: true });
    cpSync('scenarios', join(root, 'scenarios'), { recursive: true });
    chmodSync(root, 0o755);
  });
  afterAll(() => {
    if (asUser) rmSync(asUser.dir, { recursive: true, force: true });
    if (root) rmSync(root, { recursive: true, force: true });
    rmSync(join(tmpdir(), `dnsparity-bad-secret-${process.pid}`), { force: true });
  });

  it('has at least 60 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  for (const c of CASES) {
    it.skipIf(!!(c.netns && skipNetns))(c.name, async () => {
      // Each case starts from pristine copies (a symlink a case made would otherwise be written through).
      rmSync(join(root, 'fixtures'), { recursive: true, force: true });
      cpSync('fixtures', join(root, 'fixtures'), { recursive: true });
      const args = c.setup();
      const user = c.unprivileged ? asUser! : undefined;
      const child = execa(process.execPath, [user ? user.cli : CLI_JS, ...args], {
        reject: false,
        cwd: user ? root : process.cwd(),
        env: { NO_COLOR: '1', ...c.env },
        extendEnv: !c.env?.PATH,
        stdin: 'ignore',
        ...(user ? { uid: user.uid, gid: user.gid } : {}),
      });
      const r = await child;
      expect(r.exitCode, r.stderr + r.stdout).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      for (const e of c.expect) expect(lines[0]).toMatch(typeof e === 'string' ? new RegExp(e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : e);
      for (const a of c.absent ?? []) expect(r.stderr + r.stdout).not.toContain(a);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(runIdsOf(child.pid!)).toEqual([]);
      c.after?.();
    });
  }
});
