"""Who is on the other end of a loopback connection.

Without a credential ``serve`` treats every request as an admin's and, by default, runs
commands and local checks: it listens on loopback only, but loopback is reachable by every user
of the machine, not only by the one who started the server (root, often). So each connection's
client end is looked up in the kernel's socket table (``/proc/net/tcp``, ``/proc/net/tcp6``:
the owner's uid of every TCP socket) and a connection from another user is refused before a
byte of it is read. Root may connect to anyone's server (it could read its memory anyway).
"""

from __future__ import annotations

import ipaddress
import os
from typing import Any

_TABLES = {4: "/proc/net/tcp", 6: "/proc/net/tcp6"}


def _kernel_address(host: str, port: int) -> tuple[int, str]:
    """``("127.0.0.1", 80)`` -> ``(4, "0100007F:0050")``, as /proc/net/tcp prints it (each
    32-bit word of the address in the machine's byte order, here little-endian)."""
    address = ipaddress.ip_address(host.split("%", 1)[0])
    packed = address.packed
    words = "".join(f"{int.from_bytes(packed[i : i + 4], 'little'):08X}" for i in range(0, len(packed), 4))
    return address.version, f"{words}:{port:04X}"


def connection_owner(peer: Any, local: Any) -> int | None:
    """The uid owning the client socket of the loopback connection from ``peer`` to ``local``
    (``transport.get_extra_info("peername" / "sockname")``), or None when it is not a TCP
    connection of this machine's table."""
    try:
        version, client = _kernel_address(peer[0], int(peer[1]))
        _, server = _kernel_address(local[0], int(local[1]))
        with open(_TABLES[version], encoding="ascii") as table:
            next(table)  # the header
            for line in table:
                fields = line.split()
                # sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
                if len(fields) > 7 and fields[1] == client and fields[2] == server:
                    return int(fields[7])
    except (OSError, ValueError, TypeError, IndexError, KeyError, StopIteration):
        return None
    return None


def is_own_user(uid: int | None) -> bool:
    """True for this process's user and for root."""
    return uid is not None and uid in (os.geteuid(), 0)
