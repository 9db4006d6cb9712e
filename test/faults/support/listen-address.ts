import { readFileSync } from 'node:fs';

/**
 * The IPv4 addresses a TCP port is listening on in this machine, from /proc/net/tcp (Linux):
 * e.g. ['127.0.0.1'] for a loopback bind, ['0.0.0.0'] for every interface. Read from the kernel,
 * so it holds whatever interfaces the machine has.
 */
export function listeningAddresses(port: number): string[] {
  const rows = readFileSync('/proc/net/tcp', 'utf8').trim().split('\n').slice(1);
  const addresses: string[] = [];
  for (const row of rows) {
    const [, local, , state] = row.trim().split(/\s+/);
    const [hexAddress, hexPort] = (local ?? '').split(':');
    if (state !== '0A' || parseInt(hexPort ?? '', 16) !== port || !hexAddress) continue;
    // Little-endian hex: 0100007F is 127.0.0.1.
    const bytes = hexAddress.match(/../g)!.map((byte) => parseInt(byte, 16)).reverse();
    addresses.push(bytes.join('.'));
  }
  return addresses;
}
