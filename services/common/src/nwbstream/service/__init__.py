"""What every nwbstream modality service shares: the interface base class, the servicer, chunk codecs."""

import os

# Before grpc loads: readers fork helpers (ctypes' find_library, subprocess) while the server's threads run, and
# grpc >= 1.80 with fork support on aborts on such forks (epoll_wait EBADF, grpc/grpc#43055). Services never fork
# to use grpc in a child, so they do not need it.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

from .chunks import ChunkGrid, LayoutError, default_chunk_shape
from .codecs import Codec, CodecError
from .contribution import Column, DatasetSpec, Kind, Link, NwbObjectSpec, Table, Timing
from .detection import Detection, FolderListing, claim_files, part_of
from .discovery import discover_interfaces
from .errors import SourceError, UnknownInterfaceError
from .interface import BaseDataInterface
from .server import main, start_server

__all__ = [
    "BaseDataInterface",
    "ChunkGrid",
    "Codec",
    "CodecError",
    "Column",
    "DatasetSpec",
    "Detection",
    "FolderListing",
    "Kind",
    "Link",
    "LayoutError",
    "NwbObjectSpec",
    "SourceError",
    "Table",
    "Timing",
    "UnknownInterfaceError",
    "claim_files",
    "part_of",
    "default_chunk_shape",
    "discover_interfaces",
    "main",
    "start_server",
]
