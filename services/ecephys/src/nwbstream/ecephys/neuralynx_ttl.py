"""Neuralynx TTL input events (.nev records) as sync pulses. Cheetah logs each change of a digital port as a record
whose string names it ('TTL Input on AcqSystem1_0 board 0 port 1 value (0x0040).') and whose ttl_input field holds
the port's new value; a port is a sync channel ('board 0 port 1'), a bit of it one line. The records are read from
the file a slab at a time; their times are neo's, the clock of the .ncs samples."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from nwbstream.service.sync import SyncRequestError, word_edge_times

SLAB_RECORDS = 1 << 16  # .nev records (184 bytes each) read at a time
TTL_PREFIX = b"TTL Input"
PORT = re.compile(rb"board (\d+) port (\d+)")
PORT_BITS = 16


def _ttl_records(reader: Any):
    """(port name, microsecond timestamps, port values) of each slab's TTL records, file after file."""
    for records in reader._nev_memmap.values():
        for start in range(0, len(records), SLAB_RECORDS):
            slab = records[start : start + SLAB_RECORDS]
            ttl = np.flatnonzero(np.char.startswith(slab["event_string"], TTL_PREFIX))
            ports = [_port_name(text) for text in slab["event_string"][ttl]]
            yield ports, slab["timestamp"][ttl], slab["ttl_input"][ttl].astype(np.int64) & 0xFFFF


def _port_name(text: bytes) -> str:
    match = PORT.search(text)
    return f"board {int(match.group(1))} port {int(match.group(2))}" if match else "port"


def ttl_ports(reader: Any) -> list[str]:
    """The ports that logged TTL input events, as sync channel names."""
    return sorted({port for ports, _, _ in _ttl_records(reader) for port in ports})


def ttl_edge_times(reader: Any, port: str, edge: str, bit: int | None) -> np.ndarray:
    """Edges of bit `bit` (none: any line) of one port, low before its first event."""
    if bit is not None and not 0 <= bit < PORT_BITS:
        raise SyncRequestError(f"{port}: bit {bit} is not one of its {PORT_BITS} bits (0-{PORT_BITS - 1})")
    stamps, words = [np.empty(0, np.uint64)], [np.empty(0, np.int64)]
    for ports, timestamps, values in _ttl_records(reader):
        mine = np.array([name == port for name in ports], dtype=bool)
        stamps.append(timestamps[mine])
        words.append(values[mine])
    stamps_us, values = np.concatenate(stamps), np.concatenate(words)
    order = np.argsort(stamps_us, kind="stable")  # several .nev files: in time order
    times = reader.rescale_event_timestamp(stamps_us[order], "float64", 0)
    return word_edge_times(times, values[order], edge, bit)
