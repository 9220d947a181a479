"""Federation between nodes: identity keys, signed provenance, agreements, sync."""
