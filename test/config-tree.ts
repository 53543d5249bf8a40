// What the resolver config unit tests share: a fresh directory per test that
// stands for an image's config tree (files written into it by relative path,
// removed after the test), the context a resolver module prepares a config
// with, and the InputError a loader throws on bad input.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { InputError } from '../harness/errors.js';
import type { PrepareContext } from '../harness/resolver/types.js';

/** A trust anchor of the simulated root, as a run hands it to a resolver module. */
export const TRUST_ANCHOR = {
  ds: ['.\t3600\tIN\tDS\t12345 13 2 abcdef'],
  dnskey: ['.\t3600\tIN\tDNSKEY\t257 3 13 AAAA BBBB'],
};

/** The run directory layout the unit tests prepare configs into (nothing is written there). */
export const PREPARE_CONTEXT: PrepareContext = { rootHintsFile: '/run/x/root.hints', workDir: '/run/x', configDir: '/run/x/host', trustAnchor: TRUST_ANCHOR };

export interface ConfigTree {
  /** The tree's directory: the files root a loader confines reads to. */
  readonly root: string;
  /** Writes a file at a path relative to the tree (directories made), returning its full path. */
  write(rel: string, text: string): string;
}

/** A config tree made before each test of the calling file and removed after it. */
export function configTree(name: string): ConfigTree {
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), `dnsparity-${name}-`));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });
  return {
    get root() {
      return root;
    },
    write(rel: string, text: string): string {
      const p = join(root, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
      return p;
    },
  };
}

/** The InputError that a load throws; fails the test when it throws nothing or something else. */
export function inputErrorOf(load: () => unknown, what: string): InputError {
  try {
    load();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error(`expected ${what} to throw`);
}

/** The text of one generated file of a prepared config. */
export const fileText = (p: { files: readonly { path: string; text: string }[] }, path: string): string => {
  const f = p.files.find((x) => x.path === path);
  if (!f) throw new Error(`no prepared file ${path} (prepared: ${p.files.map((x) => x.path).join(', ')})`);
  return f.text;
};
