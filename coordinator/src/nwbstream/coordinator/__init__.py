"""The nwbstream coordinator: metadata, layout, one NWB file filled with the services' chunks."""

import os

# Before grpc loads: the coordinator starts services (subprocesses) while its channels are open, and grpc >= 1.80
# with fork support on can abort the forked child before it runs exec (grpc/grpc#43055). Nothing here uses grpc
# in a forked child.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
