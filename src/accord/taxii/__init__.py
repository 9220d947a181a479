"""TAXII 2.1 (OASIS Standard, 10 June 2021) over intel + sharing."""
