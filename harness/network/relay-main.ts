// The relay as a process: node relay-main.js SPECS_JSON_FILE. Started by a
// backend inside the namespace of the servers it fronts; says "relay ready"
// once every relay listens, and ends on SIGTERM.
import { readFileSync } from 'node:fs';
import { RELAY_READY, startRelay, type RelaySpec } from './relay.js';

const specs = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as RelaySpec[];
try {
  const relays = await Promise.all(specs.map((s) => startRelay(s)));
  process.stdout.write(`${RELAY_READY}: ${specs.map((s) => `${s.address} (${s.rttMs} ms, ${s.lossPercent}% lost)`).join(', ')}\n`);
  const stop = () => void Promise.all(relays.map((r) => r.close())).finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} catch (e) {
  process.stderr.write(`relay failed: ${(e as Error).message}\n`);
  process.exit(1);
}
