import 'reflect-metadata';
import { expect } from '@jest/globals';

// The LangGraph conformance suite is written for vitest and calls `expect.soft`;
// jest has no soft assertions, so a soft assertion is a hard one here.
(expect as unknown as { soft: typeof expect }).soft ??= expect;
