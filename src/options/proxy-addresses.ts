import { BlockList, isIP, isIPv4 } from 'node:net';
import { invalid } from './parse.js';

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

/** Start-up's check of a proxy list setting (`setting` names it): the list, kept as written, or an error naming it. */
export function checkedProxyAddresses(setting: string, items: readonly string[]): readonly string[] {
  proxyBlockList(items, (item) => {
    throw invalid(setting, item, "IPv4 or IPv6 addresses or CIDR ranges such as '10.0.0.0/8' or '::1'");
  });
  return items;
}

/** The block list of proxy addresses start-up has checked (see checkedProxyAddresses). */
export function checkedProxyList(items: readonly string[]): BlockList {
  return proxyBlockList(items, (item) => {
    throw new Error(`Unchecked proxy address ${item}`);
  });
}

/** Whether a connection comes from a listed proxy: by the socket's own address, never a forwarded one. */
export function fromProxy(list: BlockList, address: string | undefined): boolean {
  return address !== undefined && list.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
}
