"""The A records a DNS server on 127.0.0.1 returns for a name, asked over TCP (stdlib only: it runs
on the machine's python3, where no resolver library is installed and none may be asked off-machine).

  dns_query.py PORT NAME    one address per line; exit 0 when the answer's rcode is NOERROR, else 3

scripts/toolchain/kube/addons.sh asks the cluster's CoreDNS through `kubectl port-forward` with it.
"""

from __future__ import annotations

import socket
import struct
import sys

QUERY_ID = 0x1D05
RECURSION_DESIRED = 0x0100
TYPE_A = 1
CLASS_IN = 1


def question(name: str) -> bytes:
    """A query message for NAME's A records: the header, then the name as labels, type and class."""
    header = struct.pack(">HHHHHH", QUERY_ID, RECURSION_DESIRED, 1, 0, 0, 0)
    labels = b"".join(bytes([len(part)]) + part.encode() for part in name.split("."))
    return header + labels + b"\0" + struct.pack(">HH", TYPE_A, CLASS_IN)


def ask(port: int, query: bytes) -> bytes:
    """The response message to QUERY over TCP (each message behind its two-byte length)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(struct.pack(">H", len(query)) + query)
        data = b""
        while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    return data[2:]


def addresses(msg: bytes, question_length: int) -> tuple[int, list[str]]:
    """The rcode and the A records of a response whose question section is QUESTION_LENGTH long."""
    rcode, ancount = msg[3] & 0xF, struct.unpack(">H", msg[6:8])[0]
    found: list[str] = []
    i = question_length
    for _ in range(ancount):
        while msg[i] != 0 and msg[i] & 0xC0 != 0xC0:  # the owner name: labels, then 0 or a pointer
            i += 1 + msg[i]
        i += 2 if msg[i] & 0xC0 == 0xC0 else 1
        rtype, _cls, _ttl, rdlen = struct.unpack(">HHIH", msg[i : i + 10])
        i += 10
        if rtype == TYPE_A:
            found.append(socket.inet_ntoa(msg[i : i + 4]))
        i += rdlen
    return rcode, found


def main(argv: list[str]) -> int:
    port, name = int(argv[1]), argv[2]
    query = question(name)
    rcode, found = addresses(ask(port, query), len(query))
    for address in found:
        print(address)
    return 0 if rcode == 0 else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv))
