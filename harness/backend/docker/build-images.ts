#!/usr/bin/env node
// containers/build.sh's work: builds the docker backend's images offline
// from this machine's binaries, or an example candidate image.
//   build-images.js                                  the harness images
//   build-images.js candidate TAG CONFIG RESOLV_CONF  an example candidate
//   build-images.js candidate-musl TAG CONFIG RESOLV_CONF  the same, FROM scratch with musl's stub
//   build-images.js candidate-debian KIND TAG CONFIG_DIR RESOLV_CONF  a Debian image of that resolver kind (mmdebstrap) with a config tree
import { DnsparityError, EXIT } from '../../errors.js';
import { requireEngine } from './engine.js';
import { buildDebianCandidate } from './debian-images.js';
import { buildCandidate, buildMuslCandidate, ensureImage, HARNESS_IMAGES } from './images.js';

const USAGE = 'usage: containers/build.sh [candidate|candidate-musl TAG CONFIG RESOLV_CONF | candidate-debian KIND TAG CONFIG_DIR RESOLV_CONF]';
const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(args: string[]): Promise<number> {
  const engine = await requireEngine();
  if (args.length === 0) {
    for (const name of HARNESS_IMAGES) process.stdout.write(`${await ensureImage(engine, name, log)}\n`);
    return EXIT.parity;
  }
  if (args[0] === 'candidate-debian') {
    const [, kind, tag, dir, resolvConf, ...more] = args;
    if (!kind || !tag || !dir || !resolvConf || more.length) {
      process.stderr.write(`${USAGE}\n`);
      return EXIT.couldNotRun;
    }
    await buildDebianCandidate(engine, kind, tag, dir, resolvConf, log);
    process.stdout.write(`${tag}\n`);
    return EXIT.parity;
  }
  const [what, tag, config, resolvConf, ...rest] = args;
  if ((what !== 'candidate' && what !== 'candidate-musl') || !tag || !config || !resolvConf || rest.length) {
    process.stderr.write(`${USAGE}\n`);
    return EXIT.couldNotRun;
  }
  await (what === 'candidate' ? buildCandidate : buildMuslCandidate)(engine, tag, config, resolvConf, log);
  process.stdout.write(`${tag}\n`);
  return EXIT.parity;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`build: ${e instanceof DnsparityError ? e.oneLine() : String((e as Error).stack ?? e)}\n`);
    process.exitCode = EXIT.couldNotRun;
  },
);
