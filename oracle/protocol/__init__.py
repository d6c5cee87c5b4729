"""The protocol both sides share: what the operator publishes and the participant checks.

Nothing here knows about a chain connection, a store or a web service: these are formats and
encodings only. The commitment a stake binds (:mod:`.commitments`), the Merkle tree and leaf
encoding the contract verifies (:mod:`.merkle`), the round manifest and reveals bundle
(:mod:`.manifest`), the results file's format and its leaves (:mod:`.results`), token units
(:mod:`.units`) and the fast keccak and ABI encoding under all of them (:mod:`.hashing`).
"""
