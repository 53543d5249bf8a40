// The harness's own unbound configs (the provider's resolver, a public
// resolver) against the real unbound-checkconf, and their outgoing ports:
// a small range, so that a start does not shuffle 60 000 ports with a
// getrandom(2) each.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../../test/temp-dirs.js';
import { HARNESS_OUTGOING_PORTS, publicResolverConfig } from '../../network/public-resolvers.js';
import { planSimulatedInternet } from '../../network/simulated-internet.js';
import { providerConfig } from './files.js';
import { onPath } from '../../../test/on-path.js';

const skip = onPath('unbound-checkconf') ? undefined : 'needs unbound-checkconf (Debian package unbound)';
if (skip) console.warn(`SKIPPED harness unbound config checks: ${skip}`);
const tmp = tempDirs('harness-unbound');

describe.skipIf(!!skip)("the harness's own unbound configs", () => {
  it('pass unbound-checkconf and send from a range of 1 024 ports only', () => {
    const dir = tmp();
    const hints = join(dir, 'root.hints');
    writeFileSync(hints, '.\t3600000\tIN\tNS\ta.root-servers.test.\na.root-servers.test.\t3600000\tIN\tA\t198.51.100.1\n');
    const internet = planSimulatedInternet([], { address: '169.254.169.253', zones: [] }, { publicResolvers: [], ipv6: false });
    const confs = {
      provider: providerConfig(internet, dir, hints),
      public: publicResolverConfig({ listen: '192.0.2.8', port: 53, dir, rootHintsFile: hints }),
    };
    for (const [name, text] of Object.entries(confs)) {
      expect(text, name).toContain(HARNESS_OUTGOING_PORTS.join('\n'));
      const file = join(dir, `${name}.conf`);
      writeFileSync(file, text);
      expect(execFileSync('unbound-checkconf', [file], { encoding: 'utf8' }), name).toContain('no errors');
    }
  });
});
