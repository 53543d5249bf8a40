import { describe, expect, it } from 'vitest';
import { lookupErrorOutcome } from './app-outcome.js';

// The verdict rests on this split: "not found" is the stub taking a negative
// answer as final (the incident), "failure" is every nameserver failing.
const TABLE: [string | undefined, 'not-found' | 'failure', string][] = [
  ['ENOTFOUND', 'not-found', 'ENOTFOUND'], // EAI_NONAME as Node reports it: NXDOMAIN taken as final
  ['ENODATA', 'not-found', 'ENODATA'], // the name exists, no address of that family
  ['EAI_NONAME', 'not-found', 'EAI_NONAME'],
  ['EAI_NODATA', 'not-found', 'EAI_NODATA'],
  ['EAI_AGAIN', 'failure', 'EAI_AGAIN'], // every nameserver timed out or SERVFAILed
  ['EAI_FAIL', 'failure', 'EAI_FAIL'],
  ['ESERVFAIL', 'failure', 'ESERVFAIL'],
  ['ECONNREFUSED', 'failure', 'ECONNREFUSED'],
  ['EAI_SYSTEM', 'failure', 'EAI_SYSTEM'],
  ['enotfound', 'failure', 'enotfound'], // codes are exact: nothing is guessed from a look-alike
  [undefined, 'failure', 'UNKNOWN'],
];

describe('getaddrinfo error codes to application outcomes', () => {
  for (const [code, status, kept] of TABLE) {
    it(`${code ?? '(no code)'} is ${status}`, () => {
      expect(lookupErrorOutcome(code)).toEqual({ status, code: kept });
    });
  }
});
