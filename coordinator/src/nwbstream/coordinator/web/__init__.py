"""The web page of the conversion service: a thin HTTP front on its gRPC API, for labs that do not write YAML."""
