"""Signed device ingest and the device registry, shared by the community apps."""
