package handlers

import (
	"net/netip"
)

// blockedRange is a range of addresses the http task refuses to connect
// to unless HTTPOptions.Allow opens it, and why (the reason the refusal
// names).
type blockedRange struct {
	prefix netip.Prefix
	reason string
}

// blockedV4 are the IPv4 ranges that are not public, the most specific
// first: the first that holds an address gives the reason. Documentation
// ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) are not here:
// they are not routed anywhere, and tests use them as public-looking
// addresses.
var blockedV4 = []blockedRange{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address, carrier-grade NAT"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback address"},
	{netip.MustParsePrefix("169.254.169.254/32"), "link-local address, cloud metadata"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local address"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved address, IETF protocol assignments"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast address"},
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved address"},
}

// blockedV6 are the IPv6 ranges that are not public. Besides these, every
// address outside global unicast (2000::/3) is refused, except the forms
// that embed an IPv4 address (embeddedV4), which are judged by it.
var blockedV6 = []blockedRange{
	{netip.MustParsePrefix("::/128"), "unspecified address"},
	{netip.MustParsePrefix("::1/128"), "loopback address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64 address"},
	{netip.MustParsePrefix("100::/64"), "discard-only address"},
	{netip.MustParsePrefix("2001::/23"), "reserved address, IETF protocol assignments (Teredo included)"},
	{netip.MustParsePrefix("fc00::/7"), "private address, unique local"},
	{netip.MustParsePrefix("fe80::/10"), "link-local address"},
	{netip.MustParsePrefix("fec0::/10"), "site-local address"},
	{netip.MustParsePrefix("ff00::/8"), "multicast address"},
}

var (
	globalUnicast = netip.MustParsePrefix("2000::/3")
	nat64         = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour     = netip.MustParsePrefix("2002::/16")
)

// blockedReason says why the http task refuses addr by default ("loopback
// address"), or "" when addr is public. An IPv4-mapped IPv6 address is
// judged as its IPv4 address; a NAT64 (64:ff9b::/96) or 6to4 (2002::/16)
// address as the IPv4 address it embeds.
func blockedReason(addr netip.Addr) string {
	addr = addr.WithZone("").Unmap()
	if addr.Is4() {
		return rangeReason(blockedV4, addr)
	}
	if v4, form, ok := embeddedV4(addr); ok {
		if r := rangeReason(blockedV4, v4); r != "" {
			return form + " of a " + r
		}
		return ""
	}
	if r := rangeReason(blockedV6, addr); r != "" {
		return r
	}
	if !globalUnicast.Contains(addr) {
		return "reserved address, outside global unicast 2000::/3"
	}
	return ""
}

// rangeReason is the reason of the first range that holds addr, or "".
func rangeReason(ranges []blockedRange, addr netip.Addr) string {
	for _, r := range ranges {
		if r.prefix.Contains(addr) {
			return r.reason
		}
	}
	return ""
}

// embeddedV4 is the IPv4 address an IPv6 address of a translation form
// carries, and the form's name: NAT64 (64:ff9b::/96, the last 32 bits) or
// 6to4 (2002::/16, bits 16 to 48).
func embeddedV4(addr netip.Addr) (netip.Addr, string, bool) {
	b := addr.As16()
	switch {
	case nat64.Contains(addr):
		return netip.AddrFrom4([4]byte(b[12:16])), "NAT64 form", true
	case sixToFour.Contains(addr):
		return netip.AddrFrom4([4]byte(b[2:6])), "6to4 form", true
	}
	return netip.Addr{}, "", false
}
