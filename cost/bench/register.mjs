/**
 * Lets `node` run the cost tool's TypeScript directly (`node --import ./cost/bench/register.mjs
 * cost/bench/main.ts`): the same @swc/core transform jest uses, no build step, so `npm run cost`
 * neither waits for a full `tsc` build nor depends on the rest of `src/` type-checking while
 * others edit it. Type-checking is `npx tsc -p cost/tsconfig.json`.
 */
import { register } from 'node:module';

register('./swc-loader.mjs', import.meta.url);
