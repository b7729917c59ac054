import { BlockList, isIP } from 'node:net';

/**
 * `10.0.0.0/8`, `::1`, `fd00::/8`: proxy addresses as a block list. `refuse` is called with the first item that is
 * not an address or a CIDR range; start-up checks the list with it, so a list in the resolved configuration is valid.
 */
export function proxyBlockList(items: readonly string[], refuse: (item: string) => never): BlockList {
  const list = new BlockList();
  for (const item of items) {
    const [address, prefix, extra] = item.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const length = prefix === undefined ? bits : /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
    if (family === 0 || extra !== undefined || length < 0 || length > bits) refuse(item);
    list.addSubnet(address, length, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}
