"""Cryptographic suites for bundles, keys and signed messages: modern (X25519, AES-GCM, Ed25519) and
GM (SM2, SM3, SM4-GCM), behind one interface. Only vetted libraries do the arithmetic; no I/O here.
"""
