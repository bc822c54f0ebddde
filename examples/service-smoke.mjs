// A plain Node service (no tsx, no TypeScript): imports the built ESM packages.
//   pnpm build && node examples/service-smoke.mjs
import { tensor, backendInfo, scope } from '@duet/core';

const info = backendInfo();
const y = scope(() => tensor([[1, 2], [3, 4]]).matmul(tensor([[1], [1]])).toArray());
console.log(JSON.stringify({ backend: info.backend, tfVersion: info.tfVersion, y }));
