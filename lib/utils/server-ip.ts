import { networkInterfaces } from 'node:os';

/** The first non-internal IPv4 address, as ElasticJob picks it; loopback when there is none. */
export function detectServerIp(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return '127.0.0.1';
}
