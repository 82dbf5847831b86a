#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Small probes for tests/test_app_netns.sh, run from a kernel namespace
against ztdp (which answers from a DPDK port, not from a kernel stack).

  netns_probe.py arp IFACE SRC_IP TARGET_IP      print the MAC that answers
  netns_probe.py ping DST_IP                      ICMP/ICMPv6 echo, raw socket
  netns_probe.py udp-send DST_IP PORT TEXT        one UDP datagram
  netns_probe.py telemetry PREFIX COMMAND         a DPDK telemetry query (JSON)
  netns_probe.py rpc SOCKET METHOD                one JSON-RPC call (JSON result)
  netns_probe.py mkplanet OUT ROOT_ID IP PORT     a one-root planet (unsigned)
  netns_probe.py udp-recv IP PORT SECONDS         print "srcip srcport hex" of
                                                  the first datagram received

Exit status 0 on success, 1 with one line on stderr otherwise.
"""
import json
import os
import socket
import struct
import sys
import time


def die(msg):
    print("netns_probe: " + msg, file=sys.stderr)
    sys.exit(1)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def arp(iface, src_ip, target_ip):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    s.bind((iface, 0))
    mac = s.getsockname()[4]
    req = (b"\xff" * 6 + mac + struct.pack("!H", 0x0806) +
           struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac +
           socket.inet_aton(src_ip) + b"\0" * 6 + socket.inet_aton(target_ip))
    req += b"\0" * (60 - len(req))
    s.settimeout(0.5)
    for _ in range(6):
        s.send(req)
        deadline = time.time() + 0.5
        while time.time() < deadline:
            try:
                f = s.recv(2048)
            except socket.timeout:
                break
            if len(f) < 42 or f[12:14] != b"\x08\x06":
                continue
            op = struct.unpack("!H", f[20:22])[0]
            if op == 2 and f[28:32] == socket.inet_aton(target_ip) and f[32:38] == mac:
                print(":".join("%02x" % b for b in f[22:28]))
                return 0
    die("no ARP reply from %s" % target_ip)


def ping(dst_ip):
    v6 = ":" in dst_ip
    if v6:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(0.5)
    ident = os.getpid() & 0xFFFF
    req_type, rep_type = (128, 129) if v6 else (8, 0)
    for seq in range(1, 7):
        payload = b"ztdp-probe-%d" % seq
        hdr = struct.pack("!BBHHH", req_type, 0, 0, ident, seq)
        # The kernel fills in the ICMPv6 checksum (it needs the addresses).
        csum = 0 if v6 else checksum(hdr + payload)
        pkt = hdr[:2] + struct.pack("!H", csum) + hdr[4:] + payload
        s.sendto(pkt, (dst_ip, 0))
        deadline = time.time() + 0.5
        while time.time() < deadline:
            try:
                data, addr = s.recvfrom(2048)
            except socket.timeout:
                break
            if v6:
                icmp = data    # the kernel checked the checksum
            else:
                ihl = (data[0] & 15) * 4
                if checksum(data[:ihl]) != 0:
                    continue
                icmp = data[ihl:]
                if checksum(icmp) != 0:
                    continue
            if (addr[0] == dst_ip and icmp[0] == rep_type and
                    struct.unpack("!HH", icmp[4:8]) == (ident, seq) and
                    icmp[8:] == payload):
                print("echo reply from %s seq %d" % (dst_ip, seq))
                return 0
    die("no echo reply from %s" % dst_ip)


def udp_send(dst, port, text):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.sendto(text.encode(), (dst, int(port)))
    return 0


def telemetry(prefix, cmd):
    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    try:
        s.connect(path)
    except OSError as e:
        die("%s: %s" % (path, e))
    info = json.loads(s.recv(16384).decode())
    s.send(cmd.encode())
    reply = json.loads(s.recv(info.get("max_output_len", 16384)).decode())
    print(json.dumps(reply.get(cmd.split(",")[0]), sort_keys=True))
    return 0


def rpc(path, method):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method}).encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    reply = json.loads(buf)
    if "error" in reply:
        die("rpc %s: %s" % (method, reply["error"]))
    print(json.dumps(reply["result"], sort_keys=True))
    return 0


def mkplanet(out, root_identity, ip, port):
    """A planet (protocol notes section 7) whose single root is
    root_identity at ip/port. The signature is zeros: a node trusts the
    planet it is given, and only checks signatures on updates."""
    fields = root_identity.strip().split(":")
    addr, typ, pub = (fields + ["", "", ""])[:3]
    if typ != "0" or len(addr) != 10 or len(pub) != 128:
        die("not a public identity: %s" % root_identity)
    world = bytes([1]) + struct.pack("!QQ", 0x7A7464700001, int(time.time() * 1000))
    world += b"\0" * 64 + b"\0" * 96 + bytes([1])
    world += bytes.fromhex(addr) + b"\0" + bytes.fromhex(pub) + b"\0"
    world += bytes([1]) + b"\x04" + socket.inet_aton(ip) + struct.pack("!H", int(port))
    with open(out, "wb") as f:
        f.write(world)
    return 0


def udp_recv(ip, port, seconds):
    fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((ip, int(port)))
    s.settimeout(float(seconds))
    try:
        data, addr = s.recvfrom(65536)
    except socket.timeout:
        die("nothing received on %s/%s in %ss" % (ip, port, seconds))
    print("%s %d %s" % (addr[0], addr[1], data.hex()))
    return 0


def main(argv):
    if len(argv) < 2:
        die("usage: see the header of this file")
    cmd, args = argv[1], argv[2:]
    try:
        if cmd == "arp" and len(args) == 3:
            return arp(*args)
        if cmd == "ping" and len(args) == 1:
            return ping(args[0])
        if cmd == "udp-send" and len(args) == 3:
            return udp_send(*args)
        if cmd == "telemetry" and len(args) == 2:
            return telemetry(*args)
        if cmd == "rpc" and len(args) == 2:
            return rpc(*args)
        if cmd == "mkplanet" and len(args) == 4:
            return mkplanet(*args)
        if cmd == "udp-recv" and len(args) == 3:
            return udp_recv(*args)
    except OSError as e:
        die("%s: %s" % (cmd, e))
    die("bad arguments for %s" % cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
