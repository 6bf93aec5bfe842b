"""Segmented HTTP(S) downloads: probe, connections, part files, verification."""
